"""Calls for candidates: the model's rules, the admin, the public pages and the FAQ."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import CandidateCall
from eig.programme.models import FaqEntry, Specialty
from eig.programme.templatetags.faq import faq_answer
from projects.models import Defi, DefiPosition
from projects.reference import faq_answer_html, faq_latest
from tests.factories import (
    AdministrationFactory,
    CandidateCallFactory,
    DefiFactory,
    PromotionFactory,
    StaffFactory,
    selected_defi,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

WISHES_AFTER = CandidateCall.WishesTiming.AFTER_PRESELECTION


def _selected(promotion, title, *, themes="", specialties=(Specialty.DEVELOPMENT,)):
    defi = selected_defi(promotion, AdministrationFactory(), positions=0, title=title)
    Defi.objects.filter(pk=defi.pk).update(themes=themes)
    for rank, specialty in enumerate(specialties, start=1):
        DefiPosition.objects.create(
            defi=defi,
            rank=rank,
            specialty=specialty,
            missions=f"Missions {title} {rank}",
            skills=f"Compétences {title} {rank}",
        )
    return defi


# --- The model ----------------------------------------------------------------------------


def test_a_call_closes_after_it_opens():
    call = CandidateCallFactory()
    call.closes_at = call.opens_at
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


def test_wishes_after_the_preselection_need_their_own_deadline_after_the_call():
    call = CandidateCallFactory()
    call.wishes_timing = WISHES_AFTER
    call.wishes_closes_at = call.closes_at  # not after the applications' deadline
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()
    call.wishes_closes_at = call.closes_at + datetime.timedelta(days=14)
    call.save()
    assert not call.wishes_with_application


def test_wishes_with_the_application_have_no_deadline_of_their_own():
    call = CandidateCallFactory()
    call.wishes_closes_at = call.closes_at + datetime.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


def test_a_call_is_open_from_its_opening_to_just_before_its_closing():
    call = CandidateCallFactory()
    second = datetime.timedelta(seconds=1)
    assert not call.is_open(call.opens_at - second)
    assert call.is_open(call.opens_at)
    assert call.is_open(call.closes_at - second)
    assert not call.is_open(call.closes_at)


def test_staff_create_a_call_in_the_admin(client):
    client.force_login(StaffFactory())
    promotion = PromotionFactory()
    response = client.post(
        reverse("admin:candidates_candidatecall_add"),
        {
            "promotion": promotion.pk,
            "title": "Appel à candidatures EIG 9",
            "slug": "aac-eig-9",
            "opens_at_0": "01/03/2027",
            "opens_at_1": "09:00:00",
            "closes_at_0": "02/05/2027",
            "closes_at_1": "23:59:00",
            "wishes_timing": WISHES_AFTER,
            "wishes_closes_at_0": "30/05/2027",
            "wishes_closes_at_1": "23:59:00",
            "anonymous": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    call = CandidateCall.objects.get(slug="aac-eig-9")
    # Entered in Paris time, stored in UTC: 23:59 in May is 21:59 UTC.
    assert call.closes_at == datetime.datetime(2027, 5, 2, 21, 59, tzinfo=datetime.UTC)
    assert call.anonymous and not call.wishes_with_application


def test_the_admin_explains_a_wishes_deadline_before_the_closing(client):
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:candidates_candidatecall_add"),
        {
            "promotion": PromotionFactory().pk,
            "title": "Appel à candidatures EIG 9",
            "slug": "aac-eig-9",
            "opens_at_0": "01/03/2027",
            "opens_at_1": "09:00:00",
            "closes_at_0": "02/05/2027",
            "closes_at_1": "23:59:00",
            "wishes_timing": WISHES_AFTER,
        },
    )
    assert response.status_code == 200
    assert "ont leur propre clôture" in response.content.decode()
    assert not CandidateCall.objects.exists()


# --- Public pages -------------------------------------------------------------------------


def test_the_calls_page_sorts_calls_by_where_they_stand(client):
    now = timezone.now()
    day = datetime.timedelta(days=1)
    CandidateCallFactory(title="Ouvert")
    CandidateCallFactory(title="À venir", opens_at=now + day, closes_at=now + 30 * day)
    CandidateCallFactory(title="Clos", opens_at=now - 60 * day, closes_at=now - day)
    content = client.get(reverse("candidates:call_list")).content.decode()
    assert content.index("Appels ouverts") < content.index("Ouvert</a>")
    assert content.index("Prochainement") < content.index("À venir")
    assert content.index("Appels clos") < content.index("Clos</a>")


def test_the_call_page_says_the_steps_of_its_kind_of_call(client):
    now = timezone.now()
    call = CandidateCallFactory(
        wishes_timing=WISHES_AFTER,
        wishes_closes_at=now + datetime.timedelta(days=40),
        anonymous=True,
        eligibility="Ne peuvent concourir les membres du jury.",
    )
    content = client.get(call.get_absolute_url()).content.decode()
    assert "Ne peuvent concourir les membres du jury." in content
    assert "Présélection anonyme" in content
    assert "CV anonymisé" in content
    assert "Vos vœux" in content and "Clôture des vœux" in content
    assert "Appel ouvert" in content

    with_application = CandidateCallFactory()
    content = client.get(with_application.get_absolute_url()).content.decode()
    assert "Vos vœux" not in content and "de 3 à 5 vœux classés" in content
    assert "Présélection anonyme" not in content


def test_a_closed_call_says_so_in_paris_time(client):
    call = CandidateCallFactory(
        opens_at=datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 5, 2, 21, 59, tzinfo=datetime.UTC),
    )
    content = client.get(call.get_absolute_url()).content.decode()
    assert "Appel clos" in content
    assert "2 mai 2026 à 23h59" in content


def test_an_unknown_call_is_a_404(client):
    assert client.get(reverse("candidates:call_detail", args=["inconnu"])).status_code == 404
    assert client.get(reverse("candidates:call_defis", args=["inconnu"])).status_code == 404


def test_the_call_page_shows_the_candidates_faq_sanitised(client):
    FaqEntry.objects.create(
        audience=FaqEntry.Audience.CANDIDATES,
        question="Qui peut devenir EIG ?",
        answer_html='<p>Toute personne.<script>alert(1)</script></p><a href="javascript:x()"'
        ' onclick="y()">lien</a>',
    )
    FaqEntry.objects.create(
        audience=FaqEntry.Audience.ADMINISTRATIONS,
        question="Comment déposer un défi ?",
        answer_html="<p>Par l'appel à projets.</p>",
    )
    content = client.get(CandidateCallFactory().get_absolute_url()).content.decode()
    assert "Qui peut devenir EIG ?" in content
    assert "<p>Toute personne.</p>" in content
    assert "<script>alert" not in content and "onclick" not in content
    assert "javascript:" not in content
    assert "Comment déposer un défi ?" not in content


def test_the_defis_page_lists_the_selected_defis_of_the_promotion_with_their_positions(client):
    call = CandidateCallFactory()
    _selected(
        call.promotion, "Cadastre solaire", specialties=[Specialty.DESIGN, Specialty.DEVELOPMENT]
    )
    submitted_defi(DefiFactory(call__promotion=call.promotion).call, title="Pas encore jugé")
    _selected(PromotionFactory(), "Autre promotion")
    content = client.get(reverse("candidates:call_defis", args=[call.slug])).content.decode()
    assert "Cadastre solaire" in content
    assert "EIG 1 – Design" in content and "EIG 2 – Développement" in content
    assert "Missions Cadastre solaire 1" in content and "Compétences Cadastre solaire 2" in content
    assert "Pas encore jugé" not in content
    assert "Autre promotion" not in content
    assert "1 défi" in content


def test_the_defis_page_filters_by_specialty_theme_and_words(client):
    call = CandidateCallFactory()
    _selected(
        call.promotion,
        "Cadastre solaire",
        themes="Énergie, Territoires",
        specialties=[Specialty.DESIGN],
    )
    _selected(
        call.promotion, "Signaux faibles", themes="Économie", specialties=[Specialty.DATA_SCIENCE]
    )
    url = reverse("candidates:call_defis", args=[call.slug])

    def titles(**query):
        content = client.get(url, query).content.decode()
        return {title for title in ("Cadastre solaire", "Signaux faibles") if title in content}

    assert titles() == {"Cadastre solaire", "Signaux faibles"}
    assert titles(metier=Specialty.DESIGN) == {"Cadastre solaire"}
    assert titles(theme="Territoires") == {"Cadastre solaire"}
    assert titles(theme="Économie") == {"Signaux faibles"}
    assert titles(q="signaux") == {"Signaux faibles"}
    assert titles(q="Compétences Cadastre") == {"Cadastre solaire"}
    content = client.get(url).content.decode()
    # The theme filter offers the themes of the call's défis, each once.
    assert '<option value="Énergie">' in content and content.count('value="Territoires"') == 1


def test_the_defis_page_refuses_bad_filters_with_a_message(client):
    call = CandidateCallFactory()
    _selected(call.promotion, "Cadastre solaire", themes="Énergie")
    url = reverse("candidates:call_defis", args=[call.slug])
    for query in (
        {"theme": "Inconnue"},
        {"metier": "astronaute"},
        {"q": "x" * 500},
        {"page": "zz"},
    ):
        response = client.get(url, query)
        assert response.status_code == 200
    content = client.get(url, {"q": "x" * 500}).content.decode()
    assert "fr-error-text" in content


@pytest.mark.parametrize("count", [1, 6])
def test_public_pages_read_a_constant_number_of_queries(client, count):
    call = CandidateCallFactory()
    for number in range(count):
        _selected(
            call.promotion,
            f"Défi {number}",
            themes="Santé",
            specialties=[Specialty.DESIGN, Specialty.DEVELOPMENT],
        )
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("candidates:call_defis", args=[call.slug]), {"metier": Specialty.DESIGN})
    # The call, the themes, the count, the page of défis and their positions; and twice
    # django-dsfr's site settings, as on every page of a site without its settings row.
    assert len(captured.captured_queries) == 7
    with CaptureQueriesContext(connection) as captured:
        client.get(call.get_absolute_url())
    assert len(captured.captured_queries) == 5  # the call, the défis' count, the FAQ
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("candidates:call_list"))
    assert len(captured.captured_queries) == 3


# --- The FAQ from the reference files -----------------------------------------------------


def test_the_faq_keeps_the_latest_edition_of_each_audience():
    records = [
        {"audience": "candidats", "era": "EIG5 (2021), site v1", "question": "Ancienne ?"},
        {"audience": "candidats", "era": "EIG7 (2024-2026), site v3", "question": "Récente ?"},
        {"audience": "administrations", "era": "EIG6 (2022), site v2", "question": "Admin ?"},
    ]
    assert [record["question"] for record in faq_latest(records)] == ["Récente ?", "Admin ?"]


def test_a_faq_answer_in_markdown_becomes_html():
    html = faq_answer_html({"answer_markdown": "Une **réponse** :\n\n* un\n* deux"})
    assert "<strong>réponse</strong>" in html and "<li>un</li>" in html
    assert faq_answer_html({"answer_html": "<p>Déjà</p>"}) == "<p>Déjà</p>"


def test_the_faq_filter_keeps_links_and_lists_only():
    clean = faq_answer('<ul><li><a href="mailto:eig@data.gouv.fr">Écrire</a></li></ul><img src=x>')
    assert clean.startswith('<ul><li><a href="mailto:eig@data.gouv.fr"')
    assert "<img" not in clean
