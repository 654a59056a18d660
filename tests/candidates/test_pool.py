"""The talent pool (vivier) for staff: search without accents, ranking, highlighting,
filters, pages, the access log, exports."""

import csv
import datetime
import io
import zipfile

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.urls import reverse

from candidates import services
from candidates.models import Application, ApplicationSearch, PoolAccess, Wish
from candidates.search import excerpt, highlight, search_document
from candidates.sections import SECTIONS_BY_KEY
from eig.exceptions import DomainError
from eig.programme.models import Specialty
from projects.models import Defi
from tests.factories import (
    CandidateCallFactory,
    CandidateFactory,
    DefiFactory,
    StaffFactory,
    UserFactory,
    fill_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db

POOL = reverse("candidates:pool")


def in_pool(call=None, *, state="admitted", first_name="Camille", **fields) -> Application:
    """An application admitted to the pool (or in `state`), its search document written as
    the services write it."""
    call = call or CandidateCallFactory()
    candidate = CandidateFactory(first_name=first_name)
    fields.setdefault("skills_main", "Python, Django")
    fields.setdefault("submitted_at", datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))
    application = Application.objects.create(call=call, candidate=candidate, **fields)
    ApplicationSearch.objects.create(application=application, document=search_document(fields))
    # The selection's states land in another branch: the state is set as data.
    Application.objects.filter(pk=application.pk).update(state=state)
    application.state = state
    return application


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(first_name="Dominique", last_name="Équipe")
    client.force_login(staff)
    client.staff = staff
    return client


def _wish(application, defi, rank: int, *, withdrawn: bool = False) -> Wish:
    """A wish of `application` for the one position of `defi`, withdrawn if asked."""
    withdrawn_at = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC) if withdrawn else None
    return Wish.objects.create(
        application=application, position=defi.positions.get(), rank=rank, withdrawn_at=withdrawn_at
    )


def _found(client, **params) -> list[int]:
    response = client.get(POOL, params)
    assert response.status_code == 200
    return [application.pk for application in response.context["page_obj"]]


# --- Search ----------------------------------------------------------------------------------


def test_pool_search_finds_accented_words_typed_without_accents(staff_client):
    data = in_pool(skills_main="Science des données, géomatique")
    in_pool(skills_main="Design de services")

    assert _found(staff_client, q="donnees") == [data.pk]
    assert _found(staff_client, q="GEOMATIQUE") == [data.pk]


def test_pool_search_finds_plain_words_typed_with_accents(staff_client):
    plain = in_pool(motivation="J'ai publie des donnees ouvertes et fait de l'accessibilite")
    in_pool(motivation="Rien à voir")

    assert _found(staff_client, q="données") == [plain.pk]
    assert _found(staff_client, q="accessibilité") == [plain.pk]


def test_pool_search_reads_every_searched_answer(staff_client):
    found = {
        field: in_pool(**{field: "cartographie"}).pk
        for field in (
            "skills_secondary",
            "experience_specialty",
            "experience_entrepreneurship",
            "motivation",
        )
    }
    in_pool(presentation="cartographie")  # the presentation is not searched

    assert sorted(_found(staff_client, q="cartographie")) == sorted(found.values())


def test_pool_search_ranks_the_most_relevant_first(staff_client):
    once = in_pool(motivation="Un peu de python un jour.")
    often = in_pool(
        skills_main="Python avancé",
        skills_secondary="Python scientifique",
        experience_specialty="Dix ans de Python en production, Python partout.",
    )

    assert _found(staff_client, q="python") == [often.pk, once.pk]
    # The export in the same order; without words, the newest first.
    export = staff_client.get(reverse("candidates:pool_csv"), {"q": "python"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [str(often.pk), str(once.pk)]
    Application.objects.filter(pk=once.pk).update(
        submitted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    )
    export = staff_client.get(reverse("candidates:pool_csv"))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [str(once.pk), str(often.pk)]


def test_pool_search_understands_web_search_syntax(staff_client):
    both = in_pool(skills_main="Python et données ouvertes")
    python = in_pool(skills_main="Python seulement")

    assert _found(staff_client, q="python -données") == [python.pk]
    assert _found(staff_client, q='"données ouvertes"') == [both.pk]


def test_pool_search_of_stop_words_only_finds_nothing(staff_client):
    in_pool(skills_main="Le la des et")

    assert _found(staff_client, q="la des et") == []


def test_pool_search_highlights_the_original_words_escaped(staff_client):
    in_pool(
        skills_main="<script>alert('x')</script> Données massives & géomatique",
        motivation="Les donnees m'intéressent",
    )

    response = staff_client.get(POOL, {"q": "donnees"})

    page = response.content.decode()
    assert "<mark>Données</mark>" in page
    assert "<mark>donnees</mark>" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "&amp; géomatique" in page


def test_highlight_marks_each_word_whose_fold_matched():
    marked = highlight("Données, DONNÉES et donnée <b>!", {"donnees"})

    assert marked == "<mark>Données</mark>, <mark>DONNÉES</mark> et donnée &lt;b&gt;!"


def test_excerpt_is_cut_around_the_first_match_at_word_boundaries():
    text = " ".join(["mot"] * 200 + ["géomatique"] + ["fin"] * 200)

    cut = excerpt(text, {"geomatique"}, size=60)

    assert cut.startswith("… mot")
    assert "<mark>géomatique</mark>" in cut
    assert cut.endswith(" …")
    assert len(cut) < 120


# --- Filters ---------------------------------------------------------------------------------


def test_pool_result_shows_the_dossier_escaped_with_its_held_wishes_in_rank_order(staff_client):
    call = CandidateCallFactory(title="Appel <EIG> 9")
    first = fill_defi(DefiFactory(state=Defi.State.SELECTED, title="Défi « A » & co"), positions=1)
    second = fill_defi(DefiFactory(state=Defi.State.SELECTED, title="Défi B"), positions=1)
    dropped = fill_defi(DefiFactory(state=Defi.State.SELECTED, title="Défi retiré"), positions=1)
    application = in_pool(
        call,
        first_name="<Léa>",
        specialty=Specialty.DESIGN,
        years_experience=1,
        mobility=Application.Mobility.REGION,
        available_on=datetime.date(2027, 1, 4),
        talent_pool_consent=True,
        motivation="Rendre les données publiques plus simples (< 5 clics)",
    )
    _wish(application, second, 2)
    _wish(application, first, 1)
    _wish(application, dropped, 3, withdrawn=True)
    in_pool(call, years_experience=0, talent_pool_consent=False)

    content = staff_client.get(POOL, {"q": "donnees publiques"}).content.decode()

    dossier = reverse("candidates:pool_dossier", args=[application.pk])
    name = f"&lt;Léa&gt; {application.candidate.last_name}"
    assert f'<a href="{dossier}?q=donnees+publiques">{name}</a>' in content
    for tag in ("Design", "1 an d’expérience", "Dans ma région", "Disponible le 04/01/2027"):
        assert f'<p class="fr-tag fr-tag--sm">{tag}</p>' in content
    assert "Reste dans le vivier" in content
    assert (
        '<span class="fr-text--bold">Motivation à rejoindre le programme :</span> Rendre les '
        "<mark>données</mark> <mark>publiques</mark> plus simples (&lt; 5 clics)"
    ) in content
    assert (
        f"Appel &lt;EIG&gt; 9 ({call.promotion.name}) · Vœux : Défi « A » &amp; co ; Défi B</p>"
    ) in content
    assert "Défi retiré</p>" not in content and "Défi B ; Défi retiré" not in content

    content = staff_client.get(POOL).content.decode()
    assert "0 ans d’expérience" in content and "Sans accord pour le vivier" in content
    # Without words, each result shows the start of its main skills.
    assert '<span class="fr-text--bold">Compétences principales :</span> Python, Django' in content


def test_pool_holds_only_admitted_applications_of_people_with_an_account(staff_client):
    admitted = in_pool()
    in_pool(state="submitted")
    in_pool(state="draft")
    anonymised = in_pool()
    Application.objects.filter(pk=anonymised.pk).update(candidate=None)

    assert _found(staff_client) == [admitted.pk]


def test_pool_filters_by_specialty(staff_client):
    geo = in_pool(specialty=Specialty.GEOMATICS)
    in_pool(specialty=Specialty.DESIGN)

    assert _found(staff_client, specialty=Specialty.GEOMATICS) == [geo.pk]


@pytest.mark.parametrize(
    ("band", "inside", "outside"),
    [
        ("0-2", [0, 2], [3]),
        ("3-5", [3, 5], [2, 6]),
        ("6-10", [6, 10], [5, 11]),
        ("11+", [11, 40], [10]),
    ],
)
def test_pool_filters_by_experience_band(staff_client, band, inside, outside):
    expected = {in_pool(years_experience=years).pk for years in inside}
    for years in outside:
        in_pool(years_experience=years)
    in_pool(years_experience=None)

    assert set(_found(staff_client, experience=band)) == expected


def test_pool_filters_by_availability(staff_client):
    early = in_pool(available_on=datetime.date(2026, 9, 1))
    on_the_day = in_pool(available_on=datetime.date(2026, 10, 1))
    in_pool(available_on=datetime.date(2026, 10, 2))
    in_pool(available_on=None)

    assert set(_found(staff_client, available_by="2026-10-01")) == {early.pk, on_the_day.pk}


def test_pool_filters_by_mobility(staff_client):
    everywhere = in_pool(mobility=Application.Mobility.FRANCE)
    in_pool(mobility=Application.Mobility.LOCAL)

    assert _found(staff_client, mobility="france") == [everywhere.pk]


def test_pool_filters_by_a_wished_defi_still_held(staff_client):
    defi = fill_defi(DefiFactory(state=Defi.State.SELECTED), positions=1)
    other = fill_defi(DefiFactory(state=Defi.State.SELECTED), positions=1)
    wishing = in_pool()
    withdrawn = in_pool()
    elsewhere = in_pool()
    _wish(wishing, defi, 1)
    _wish(withdrawn, defi, 1, withdrawn=True)
    _wish(elsewhere, other, 1)

    assert _found(staff_client, defi=defi.pk) == [wishing.pk]


def test_pool_filters_by_consent_to_stay(staff_client):
    consenting = in_pool(talent_pool_consent=True)
    in_pool(talent_pool_consent=False)

    assert _found(staff_client, consent="on") == [consenting.pk]
    assert len(_found(staff_client)) == 2


def test_pool_filters_by_the_jurys_score_and_favourites(staff_client):
    from candidates.models import ApplicationReview
    from eig.jury.models import DossierAggregate
    from eig.jury.stages import jury_first_stage
    from tests.factories import jury_with_grid

    jury = jury_with_grid(criteria=2, k=1, domain="candidatures")
    call = CandidateCallFactory(jury=jury)
    stage = jury_first_stage(jury)
    strong, weak, unscored = in_pool(call), in_pool(call), in_pool(call)
    for application, weighted in [(strong, 4.25), (weak, 2.5)]:
        DossierAggregate.objects.create(
            jury=jury, stage=stage, dossier_id=application.pk, due=1, done=1, weighted=weighted
        )
    ApplicationReview.objects.create(jury=jury, stage=stage, application=weak, favourite=True)

    assert _found(staff_client, score_min="4.25") == [strong.pk]
    assert set(_found(staff_client, score_min="2")) == {strong.pk, weak.pk}
    assert _found(staff_client, favourite="on") == [weak.pk]
    assert len(_found(staff_client)) == 3 and unscored.pk in _found(staff_client)
    # A score out of bounds is refused, and selects nothing.
    assert _found(staff_client, score_min="-1") == []


def test_pool_filters_combine_with_the_search(staff_client):
    match = in_pool(
        specialty=Specialty.GEOMATICS, skills_main="SIG et géomatique", mobility="france"
    )
    in_pool(specialty=Specialty.GEOMATICS, skills_main="SIG et géomatique", mobility="locale")
    in_pool(specialty=Specialty.DESIGN, skills_main="géomatique", mobility="france")

    assert _found(staff_client, q="geomatique", specialty="geomatique", mobility="france") == [
        match.pk
    ]


def test_pool_invalid_filters_select_nothing(staff_client):
    in_pool()

    response = staff_client.get(POOL, {"available_by": "pas une date"})

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == []


# --- Pages -----------------------------------------------------------------------------------


def _pool_of(count, call):
    defi = fill_defi(DefiFactory(state=Defi.State.SELECTED), positions=1)
    for number in range(count):
        application = in_pool(
            call,
            first_name=f"Personne {number}",
            skills_main=f"Données et python, niveau {number}",
            motivation="Ouvrir les données publiques",
            talent_pool_consent=True,
        )
        Wish.objects.create(application=application, position=defi.positions.get(), rank=1)


@pytest.mark.parametrize("params", [{}, {"q": "données"}, {"q": "python", "consent": "on"}])
def test_pool_page_costs_the_same_queries_for_3_and_30_dossiers(
    staff_client, django_assert_num_queries, params
):
    # The user; the page's planner settings, its ids with its bounded total, its dossiers
    # with their wished défis; the site settings (twice: no row); the défis of the filter;
    # with words, the words that matched.
    expected = 8 if "q" in params else 7
    call = CandidateCallFactory()
    _pool_of(3, call)
    staff_client.get(POOL, params)  # warm: content types, first connection
    with django_assert_num_queries(expected):
        response = staff_client.get(POOL, params)
    assert response.context["page_obj"].paginator.count == 3

    _pool_of(27, call)
    with django_assert_num_queries(expected):
        response = staff_client.get(POOL, params)
    assert response.context["page_obj"].paginator.count == 30
    assert len(response.context["page_obj"]) == 20


def test_pool_page_pages_by_twenty(staff_client):
    _pool_of(45, CandidateCallFactory())

    response = staff_client.get(POOL, {"page": 3})

    assert response.context["page_obj"].number == 3
    assert len(response.context["page_obj"]) == 5
    assert 'aria-current="page">3</a>' in response.content.decode()


def test_pool_dossier_shows_identity_highlighted_texts_and_logs_the_access(staff_client):
    application = in_pool(
        phone="06 12 34 56 78", motivation="Les données d'intérêt général", available_on=None
    )
    url = reverse("candidates:pool_dossier", args=[application.pk])

    staff_client.get(url, {"q": "donnees"})
    response = staff_client.get(url, {"q": "donnees"})

    page = response.content.decode()
    assert "06 12 34 56 78" in page
    assert application.candidate.email in page
    assert "<mark>données</mark>" in page
    assert "Consultation du dossier" in page
    accesses = list(PoolAccess.objects.filter(application=application))
    assert [(a.kind, a.viewer, a.exported) for a in accesses] == [
        ("dossier", staff_client.staff, None),
        ("dossier", staff_client.staff, None),
    ]
    assert accesses[0].viewer_name == f"Dominique Équipe <{staff_client.staff.email}>"
    assert page.count("Dominique Équipe") == 2


def test_pool_dossier_outside_the_pool_is_not_found(staff_client):
    submitted = in_pool(state="submitted")

    response = staff_client.get(reverse("candidates:pool_dossier", args=[submitted.pk]))

    assert response.status_code == 404
    assert PoolAccess.objects.count() == 0


def test_pool_cv_streams_the_pdf_to_staff_and_logs_it(staff_client):
    application = in_pool()
    application.cv.save("cv.pdf", ContentFile(pdf_bytes(1)), save=True)

    response = staff_client.get(reverse("candidates:pool_cv", args=[application.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert list(PoolAccess.objects.values_list("kind", flat=True)) == ["cv"]


def test_pool_cv_without_a_file_is_not_found(staff_client):
    application = in_pool()

    response = staff_client.get(reverse("candidates:pool_cv", args=[application.pk]))

    assert response.status_code == 404


def test_pool_pages_are_refused_to_others(client):
    application = in_pool()
    client.force_login(CandidateFactory())
    for url in [
        POOL,
        reverse("candidates:pool_dossier", args=[application.pk]),
        reverse("candidates:pool_csv"),
        reverse("candidates:pool_xlsx"),
    ]:
        assert client.get(url).status_code == 403
    assert PoolAccess.objects.count() == 0


# --- Exports ---------------------------------------------------------------------------------


def test_pool_export_csv_holds_the_filtered_selection_and_logs_each_dossier(staff_client):
    kept = in_pool(
        specialty=Specialty.GEOMATICS,
        years_experience=4,
        skills_main='=HYPERLINK("x") géomatique',
        mobility="france",
    )
    in_pool(specialty=Specialty.DESIGN)

    response = staff_client.get(reverse("candidates:pool_csv"), {"specialty": "geomatique"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["N° de dossier", "Nom", "Prénom", "Courriel", "Téléphone", "Métier"]
    assert len(rows) == 2
    assert rows[1][0] == str(kept.pk)
    assert rows[1][5:9] == ["Géomatique", "4", "3 à 5 ans", "Partout en France"]
    assert rows[1][14].startswith("'=HYPERLINK")
    assert list(PoolAccess.objects.values_list("application", "kind", "exported")) == [
        (kept.pk, "export_csv", 1)
    ]


def test_pool_export_xlsx_logs_one_row_per_dossier_with_the_export_size(staff_client):
    first, second = in_pool(), in_pool()

    response = staff_client.get(reverse("candidates:pool_xlsx"))

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert "Accepte de rester dans le vivier" in sheet
    assert sorted(PoolAccess.objects.values_list("application", "kind", "exported")) == [
        (first.pk, "export_xlsx", 2),
        (second.pk, "export_xlsx", 2),
    ]


# --- The stored document ---------------------------------------------------------------------


def test_saving_a_section_writes_the_folded_search_document():
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)

    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["competences"],
        data={"specialty": Specialty.DATA_SCIENCE, "skills_main": "Données, Œuvres"},
    )
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["motivation"],
        data={"motivation": "Être utile"},
    )

    application.refresh_from_db()
    assert application.search.document == "donnees, oeuvres\n\n\n\netre utile"
    assert Application.objects.filter(pk=application.pk, search__vector="donnee").exists()


def test_erasing_an_account_empties_the_search_document():
    application = in_pool(skills_main="Géomatique")

    services.applications_anonymise_for_erasure(application.candidate)

    application.refresh_from_db()
    assert application.search.document == ""
    assert not Application.objects.filter(search__vector="geomatiqu").exists()


def test_the_migration_fills_the_documents_of_earlier_applications():
    module = __import__("candidates.migrations.0010_application_search", fromlist=["x"])
    application = in_pool(skills_main="Accessibilité numérique")
    kept = in_pool(skills_main="Géomatique")
    ApplicationSearch.objects.filter(pk=application.pk).delete()

    module.fill_searches(django_apps, None)

    application.refresh_from_db()
    assert application.search.document == "accessibilite numerique"
    assert kept.search.document == "geomatique"


def test_pool_access_is_staff_only_and_for_dossiers_of_the_pool():
    outside = in_pool(state="submitted")
    inside = in_pool()

    with pytest.raises(DomainError):
        services.pool_access_record(
            application_ids=[inside.pk], viewer=UserFactory(), kind=PoolAccess.Kind.DOSSIER
        )
    with pytest.raises(DomainError):
        services.pool_access_record(
            application_ids=[outside.pk], viewer=StaffFactory(), kind=PoolAccess.Kind.DOSSIER
        )
    assert PoolAccess.objects.count() == 0


def test_a_common_word_counts_and_ranks_a_bounded_set_but_exports_everything(
    staff_client, monkeypatch
):
    from candidates import selectors

    monkeypatch.setattr(selectors, "POOL_COUNT_MAX", 5)
    monkeypatch.setattr(selectors, "POOL_RANKED_MAX", 3)
    call = CandidateCallFactory()
    _pool_of(6, call)
    response = staff_client.get(POOL, {"q": "données"})
    page = response.context["page_obj"]
    assert page.capped and page.paginator.count == 3
    content = response.content.decode()
    assert "Plus de <strong>3</strong> dossiers" in content
    assert "les 3 dossiers les plus récents qui correspondent" in content
    # The ranked three are the most recent matches.
    recent = list(Application.objects.filter(call=call).order_by("-submitted_at", "-pk")[:3])
    assert {application.pk for application in page} == {a.pk for a in recent}
    export = staff_client.get(reverse("candidates:pool_csv"), {"q": "données"})
    assert export.content.decode("utf-8-sig").count("\n") == 7  # the header and the six

    without_words = staff_client.get(POOL).context["page_obj"]
    assert without_words.capped and without_words.paginator.count == 5
    # Past the last page: the last one.
    assert staff_client.get(POOL, {"page": "9"}).context["page_obj"].number == 1
    assert staff_client.get(POOL, {"page": "9", "q": "données"}).context["page_obj"].number == 1


def test_pool_dossier_page_costs_the_same_queries_with_1_or_3_wishes_and_readings(
    staff_client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 3):
        call = CandidateCallFactory()
        application = in_pool(call, first_name=f"Personne {size}")
        for rank in range(1, size + 1):
            defi = fill_defi(DefiFactory(state=Defi.State.SELECTED), positions=1)
            Wish.objects.create(application=application, position=defi.positions.get(), rank=rank)
        url = reverse("candidates:pool_dossier", args=[application.pk])
        for _ in range(size):
            staff_client.get(url)  # each reading is logged: 1 or 3 rows in its log
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
