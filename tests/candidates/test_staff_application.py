"""The staff's page of one application (`candidates/views/staff.py`): what it shows, who
reads it (staff, once the candidate handed it in), the log of each reading, its files, and
the jury's staff screens and the admin that link to it — never a juror's page."""

import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationEvaluation, PoolAccess, Wish
from eig.exceptions import DomainError
from eig.history.services import record
from eig.jury import decisions
from eig.jury import services as jury_services
from eig.jury.shortlist import review_shortlist
from eig.programme.models import Specialty
from projects.models import DefiPosition
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateCallFactory,
    CandidateFactory,
    StaffFactory,
    jury_with_grid,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db

State = Application.State


def _text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _url(application) -> str:
    return reverse("candidates:staff_application", args=[application.pk])


def _call(*, jurors=0, k=2):
    """A call closed yesterday, with its jury of applications."""
    jury = jury_with_grid(criteria=2, jurors=jurors, k=k, domain="candidatures")
    now = timezone.now()
    return CandidateCallFactory(
        jury=jury,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )


def _application(call=None, *, state=State.SUBMITTED, candidate=None, **fields) -> Application:
    values = {
        "specialty": Specialty.DEVELOPMENT,
        "years_experience": 7,
        "presentation": "Développeuse depuis sept ans.",
        "skills_main": "Django, PostgreSQL",
        "experience_specialty": "Sept ans de développement web.",
        "motivation": "Servir l'intérêt général.",
        "phone": "06 12 34 56 78",
        "employer": "Coopérative des communs",
        "birth_year": 1990,
        "mobility": Application.Mobility.FRANCE,
        "available_on": datetime.date(2027, 9, 1),
        "github_url": "https://github.com/camille-dupont",
        "submitted_at": timezone.now() - datetime.timedelta(days=3),
        **fields,
    }
    return Application.objects.create(
        call=call or _call(),
        candidate=candidate
        or CandidateFactory(first_name="Camille", last_name="Dupont", email="camille@exemple.org"),
        state=state,
        **values,
    )


def _wishes(application, count: int) -> list[Wish]:
    wishes = []
    for rank in range(1, count + 1):
        defi = selected_defi(
            application.call.promotion,
            AdministrationFactory(name=f"Administration {rank}"),
            positions=0,
            title=f"Défi souhaité {rank}",
        )
        position = DefiPosition.objects.create(
            defi=defi, rank=1, specialty=Specialty.DEVELOPMENT, missions="M"
        )
        wishes.append(Wish.objects.create(application=application, position=position, rank=rank))
    return wishes


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(first_name="Dominique", last_name="Équipe")
    client.force_login(staff)
    client.staff = staff
    return client


# --- The page ----------------------------------------------------------------------------------


def test_staff_application_shows_identity_sections_and_wishes_and_logs_the_opening(
    staff_client,
):
    application = _application()
    held, withdrawn = _wishes(application, 2)
    services.wish_withdraw(wish=withdrawn, actor=application.candidate)

    response = staff_client.get(_url(application))

    page = _text(response)
    assert response.status_code == 200
    assert response.context["title"] == f"Camille Dupont – Candidature n° {application.pk:05d}"
    for shown in [
        "camille@exemple.org",
        "06 12 34 56 78",
        "Coopérative des communs",
        "Développeuse depuis sept ans.",
        "Sept ans de développement web.",
        "Servir l'intérêt général.",
        '<a href="https://github.com/camille-dupont" rel="noopener noreferrer">',
        "1 septembre 2027",
        "1990",
        "Partout en France",
    ]:
        assert shown in page, shown
    # The sections in the form's order, the wishes' among them.
    titles = [
        "Présentation et CV",
        "Compétences principales et complémentaires",
        "Expérience",
        "Motivation",
        "Vœux",
        "Informations personnelles",
    ]
    assert [page.index(title) for title in titles] == sorted(page.index(t) for t in titles)
    # Held first, the withdrawn one marked.
    assert page.index("Défi souhaité 1") < page.index("Défi souhaité 2")
    assert "Maintenu" in page
    assert f"Retiré le {timezone.localdate():%-d}" in page
    assert "Vœu retiré" in page  # its history
    access = PoolAccess.objects.get(application=application)
    assert (access.kind, access.viewer, access.viewer_name) == (
        PoolAccess.Kind.APPLICATION,
        staff_client.staff,
        f"Dominique Équipe <{staff_client.staff.email}>",
    )
    assert "<td>Consultation de la candidature</td> <td>Dominique Équipe <" in page


@pytest.mark.parametrize(
    "state",
    [
        State.SUBMITTED,
        State.WITHDRAWN,
        State.PRESELECTED,
        State.ADMITTED,
        State.WAITING_LIST,
        State.DECLINED,
    ],
)
def test_staff_application_is_read_in_every_state_once_handed_in(staff_client, state):
    application = _application(state=state)

    assert staff_client.get(_url(application)).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"state": State.DRAFT, "submitted_at": None},
        # Withdrawn before it was ever submitted: it never reached the programme.
        {"state": State.WITHDRAWN, "submitted_at": None},
    ],
)
def test_staff_application_never_shows_what_was_not_handed_in(staff_client, fields):
    application = _application(**fields)

    assert staff_client.get(_url(application)).status_code == 404
    assert PoolAccess.objects.count() == 0


def test_staff_application_of_an_erased_account_says_so(staff_client):
    application = _application()
    Application.objects.filter(pk=application.pk).update(candidate=None, phone="")
    application.candidate.delete()

    page = _text(staff_client.get(_url(application)))

    assert "Candidature anonymisée" in page
    assert "son identité, ses coordonnées et ses fichiers sont effacés" in page


def test_staff_application_is_hidden_from_everyone_else(client):
    call = _call(jurors=1, k=1)
    application = _application(call)
    jury_services.jury_assign(domain=CANDIDATE_JURY, jury=call.jury, actor=StaffFactory())
    juror = ApplicationEvaluation.objects.get(application=application).member.user
    urls = [_url(application)] + [
        reverse("candidates:staff_application_document", args=[application.pk, "cv"])
    ]

    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    for person in [application.candidate, CandidateFactory(), juror, AgentFactory()]:
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
    assert PoolAccess.objects.count() == 0


def test_staff_application_lists_possible_duplicates_with_their_reasons(staff_client):
    call = _call()
    first = _application(call)
    second = _application(
        call,
        candidate=CandidateFactory(first_name="Camille", last_name="Autre", email="c@autre.org"),
        phone="+33 6 12 34 56 78",
    )
    draft = _application(
        call,
        candidate=CandidateFactory(first_name="Brouillon", last_name="Nom", email="b@autre.org"),
        state=State.DRAFT,
        submitted_at=None,
    )

    page = staff_client.get(_url(first)).content.decode()

    assert f'<a href="{_url(second)}">Camille Autre</a> : même téléphone' in page
    # A draft is named, not linked: its page would be a 404.
    assert "Brouillon Nom (brouillon) : même téléphone" in page
    assert _url(draft) not in page
    assert "Doublon possible" in page


# --- Files -------------------------------------------------------------------------------------


def test_staff_application_files_are_streamed_to_staff_and_logged(staff_client):
    application = _application()
    application.cv.save("cv.pdf", SimpleUploadedFile("cv.pdf", pdf_bytes(1)), save=False)
    application.portfolio.save("p.pdf", SimpleUploadedFile("p.pdf", pdf_bytes(3)), save=False)
    application.save()

    def get(document):
        url = reverse("candidates:staff_application_document", args=[application.pk, document])
        return staff_client.get(url)

    page = staff_client.get(_url(application)).content.decode()
    cv = get("cv")
    portfolio = get("portfolio")

    cv_url = reverse("candidates:staff_application_document", args=[application.pk, "cv"])
    assert f'href="{cv_url}">Ouvrir le CV (PDF)</a>' in page
    assert cv["Content-Type"] == "application/pdf"
    assert b"".join(cv.streaming_content) == pdf_bytes(1)
    assert b"".join(portfolio.streaming_content) == pdf_bytes(3)
    assert get("cv-anonymise").status_code == 404  # none given
    assert get("photo").status_code == 404
    assert list(PoolAccess.objects.order_by("pk").values_list("kind", flat=True)) == [
        "application",
        "cv",
        "portfolio",
    ]


def test_application_access_record_is_staff_only_and_for_applications_handed_in():
    draft = _application(state=State.DRAFT, submitted_at=None)
    submitted = _application(draft.call, candidate=CandidateFactory())

    with pytest.raises(DomainError):
        services.application_access_record(
            application=submitted, viewer=AgentFactory(), kind=PoolAccess.Kind.APPLICATION
        )
    with pytest.raises(DomainError):
        services.application_access_record(
            application=draft, viewer=StaffFactory(), kind=PoolAccess.Kind.APPLICATION
        )
    with pytest.raises(DomainError):
        services.application_access_record(
            application=submitted, viewer=StaffFactory(), kind=PoolAccess.Kind.EXPORT_CSV
        )
    assert PoolAccess.objects.count() == 0


# --- The jury ----------------------------------------------------------------------------------


def _scored(call, application, value=3):
    jury_services.jury_assign(domain=CANDIDATE_JURY, jury=call.jury, actor=StaffFactory())
    for evaluation in ApplicationEvaluation.objects.filter(application=application):
        jury_services.evaluation_save(
            domain=CANDIDATE_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={c.pk: (value, "") for c in call.jury.criteria.all()},
            overall_comment="Profil solide.",
            submit=True,
        )


def test_staff_application_shows_the_jurys_figures_and_decision(staff_client):
    call = _call(jurors=2, k=2)
    application = _application(call)
    _scored(call, application)
    staff = StaffFactory()
    review_shortlist(domain=CANDIDATE_JURY, jury=call.jury, dossier=application, actor=staff)
    decisions.review_decide(
        domain=CANDIDATE_JURY,
        jury=call.jury,
        dossier=application,
        decision="waiting_list",
        motivation="Très bon profil, peu de postes.",
        reason="attente_places",
        actor=staff,
    )

    page = _text(staff_client.get(_url(application)))

    assert "Rang : <strong>1</strong> (note pondérée 3,00)" in page
    assert "Évaluations soumises : 2 sur 2" in page
    assert "Décision : liste d'attente" in page
    assert "motif : Nombre de places limité : sollicitable en cas de désistement" in page
    assert "pas encore envoyée" in page
    assert "Très bon profil, peu de postes." in page
    assert reverse("jury:selection_dossier", args=[call.jury.pk, application.pk]) in page


def test_staff_application_before_no_jury_says_so(staff_client):
    application = _application(CandidateCallFactory())

    assert "Cet appel n’a pas encore de jury." in _text(staff_client.get(_url(application)))


def test_jury_staff_screens_link_to_the_application_and_juror_pages_never_do(staff_client):
    call = _call(jurors=1, k=1)
    application = _application(call)
    _scored(call, application)
    jury = call.jury
    evaluation = ApplicationEvaluation.objects.get(application=application)
    link = f'href="{_url(application)}"'

    dossier = staff_client.get(reverse("jury:selection_dossier", args=[jury.pk, application.pk]))
    shortlist = staff_client.get(reverse("jury:selection_shortlist", args=[jury.pk]))
    assert link in dossier.content.decode()
    assert link in shortlist.content.decode()

    staff_client.force_login(evaluation.member.user)
    for url in [
        reverse("jury:dashboard"),
        reverse("jury:evaluation_detail", args=["candidatures", evaluation.pk]),
        reverse("jury:conflicts", args=[jury.pk]),
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200
        assert _url(application) not in response.content.decode(), url


# --- Links from elsewhere ----------------------------------------------------------------------


def test_pool_dossier_links_to_the_whole_application(staff_client):
    application = _application(state=State.ADMITTED)

    page = staff_client.get(reverse("candidates:pool_dossier", args=[application.pk]))

    assert f'href="{_url(application)}"' in page.content.decode()


def test_admin_views_an_application_on_the_staff_page_except_a_draft(staff_client):
    submitted = _application()
    draft = _application(
        submitted.call, candidate=CandidateFactory(), state=State.DRAFT, submitted_at=None
    )

    def change_page(application):
        url = reverse("admin:candidates_application_change", args=[application.pk])
        return staff_client.get(url).content.decode()

    assert f'href="{_url(submitted)}" class="viewsitelink"' in change_page(submitted)
    assert "viewsitelink" not in change_page(draft)


# --- Cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3])
def test_staff_application_page_costs_the_same_queries_whatever_its_wishes_history_and_readings(
    staff_client, django_assert_num_queries, size
):
    call = _call(jurors=2, k=2)
    application = _application(call)
    _wishes(application, size)
    _scored(call, application)
    for number in range(size):
        record(
            application,
            action=Application.Action.RECONSENT_ASKED,
            actor=None,
            note=f"Essai {number}",
        )
        services.application_access_record(
            application=application, viewer=staff_client.staff, kind=PoolAccess.Kind.APPLICATION
        )

    # Session and user, the application and its wishes, the log, the duplicates, the jury
    # (reviews, stages, then criteria, grid check and figures at its one stage), the
    # history, the readings.
    with django_assert_num_queries(14):
        assert staff_client.get(_url(application)).status_code == 200
