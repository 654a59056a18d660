"""The candidates' jury domain (`candidates/jury.py`): applications on the jury engine, from
assignment to decision, and anonymous only when the call says so."""

import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from candidates.jury import CANDIDATE_JURY, application_automatic_conflicts
from candidates.models import Application, ApplicationEvaluation, Wish
from candidates.services import application_jury_move
from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.history.selectors import history_for
from eig.jury import decisions, registry, services
from eig.jury.models import Jury
from eig.jury.personal_data import jury_personal_data
from eig.jury.presets import jury_apply_preset, preset_choices
from eig.jury.selectors import jury_ranking
from eig.jury.shortlist import review_shortlist
from eig.notifications.models import OutboxMessage
from eig.programme.models import Specialty
from projects.models import DefiPosition
from tests.factories import (
    AdministrationFactory,
    CandidateCallFactory,
    CandidateFactory,
    JurorFactory,
    JuryMemberFactory,
    StaffFactory,
    jury_with_grid,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db

State = Application.State


def _text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _jury(*, anonymous=False, jurors=0, k=2, criteria=2) -> Jury:
    """A jury of applications on a call closed yesterday."""
    jury = jury_with_grid(criteria=criteria, jurors=jurors, k=k, domain="candidatures")
    now = timezone.now()
    CandidateCallFactory(
        jury=jury,
        anonymous=anonymous,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )
    return jury


def _application(jury, *, specialty=Specialty.DEVELOPMENT, state=State.SUBMITTED, **kwargs):
    """A submitted application to the jury's call, from a school's own e-mail domain."""
    candidate = kwargs.pop("candidate", None) or CandidateFactory(
        first_name="Camille",
        last_name=f"Identifiable{Application.objects.count()}",
        email=f"camille{Application.objects.count()}@ecole-candidate.example.org",
    )
    values = {
        "specialty": specialty,
        "years_experience": 7,
        "skills_main": "Django, PostgreSQL",
        "skills_secondary": "Accessibilité",
        "experience_specialty": "Sept ans de développement web.",
        "experience_entrepreneurship": "Création d'une coopérative.",
        "motivation": "Servir l'intérêt général.",
        "phone": "06 12 34 56 78",
        "birth_year": 1943,
        "github_url": "https://github.com/camille-identifiable",
        "submitted_at": timezone.now() - datetime.timedelta(days=3),
        **kwargs,
    }
    return Application.objects.create(
        call=jury.candidate_call, candidate=candidate, state=state, **values
    )


# --- Registration ------------------------------------------------------------------------------


def test_candidate_domain_is_registered_under_its_key():
    assert registry.get_domain("candidatures") is CANDIDATE_JURY
    assert CANDIDATE_JURY.dossier_model is Application
    assert CANDIDATE_JURY.nouns.a == "une candidature"
    assert ("candidatures", "Candidatures") in registry.domain_choices()


def test_candidate_domain_dossiers_are_the_submitted_applications_of_its_call():
    jury = _jury()
    submitted = _application(jury)
    preselected = _application(jury, state=State.PRESELECTED)
    _application(jury, state=State.DRAFT)
    _application(jury, state=State.WITHDRAWN)
    _application(_jury())  # another call's

    assert list(CANDIDATE_JURY.dossiers(jury)) == [submitted, preselected]
    assert CANDIDATE_JURY.jury_call(jury) == jury.candidate_call
    assert registry.domain_for(jury) is CANDIDATE_JURY


# --- Conflicts and expertise -------------------------------------------------------------------


def test_automatic_conflict_by_e_mail_domain_but_not_a_personal_mailbox():
    jury = _jury()
    school = _application(jury)
    personal = _application(jury)
    personal.candidate.email = "camille@gmail.com"
    personal.candidate.save(update_fields=["email"])
    colleague = JuryMemberFactory(jury=jury, user__email="jure@ecole-candidate.example.org")
    gmail = JuryMemberFactory(jury=jury, user__email="jure@gmail.com")

    conflicts = application_automatic_conflicts([colleague, gmail], [school, personal])

    assert conflicts == {
        (school.pk, colleague.pk): (
            "Même domaine de messagerie que la personne candidate (ecole-candidate.example.org)"
        )
    }


def test_automatic_conflict_by_employer_case_and_accent_insensitive():
    jury = _jury()
    interior = AdministrationFactory(name="Ministère de l'Intérieur")
    member = JuryMemberFactory(jury=jury, user=JurorFactory(administration=interior))
    other = JuryMemberFactory(jury=jury)
    application = _application(jury, employer="MINISTERE DE L INTERIEUR (DLPAJ)")
    # Whole words only: « Intérieur » alone is not the ministry.
    nearby = _application(jury, employer="Intérieur Design SAS")

    conflicts = application_automatic_conflicts([member, other], [application, nearby])

    assert conflicts == {
        (application.pk, member.pk): (
            "La personne candidate travaille à « Ministère de l'Intérieur », votre administration"
        )
    }


def test_jury_assign_respects_conflicts_and_prefers_expertise():
    jury = _jury(k=1)
    staff = StaffFactory()
    design = _application(jury, specialty=Specialty.DESIGN)
    dev = _application(jury, specialty=Specialty.DEVELOPMENT)
    designer = JuryMemberFactory(jury=jury, expertise=[Specialty.DESIGN])
    developer = JuryMemberFactory(jury=jury, expertise=[Specialty.DEVELOPMENT])
    # Same e-mail domain as the designer's candidate: never theirs.
    conflicted = JuryMemberFactory(jury=jury, user__email="jure@ecole-candidate.example.org")

    result = services.jury_assign(domain=CANDIDATE_JURY, jury=jury, actor=staff)

    assert result.feasible
    pairs = set(
        ApplicationEvaluation.objects.filter(member__jury=jury).values_list(
            "application_id", "member_id"
        )
    )
    assert pairs == {(design.pk, designer.pk), (dev.pk, developer.pk)}
    assert not any(member == conflicted.pk for _, member in pairs)


# --- Scoring, ranking, shortlist, decisions ---------------------------------------------------


def _score(evaluation, value):
    return services.evaluation_save(
        domain=CANDIDATE_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores={c.pk: (value, "") for c in evaluation.member.jury.criteria.all()},
        overall_comment="Profil solide.",
        submit=True,
    )


def test_evaluations_and_ranking():
    jury = _jury(jurors=2, k=2)
    staff = StaffFactory()
    strong, weak = _application(jury), _application(jury)
    services.jury_assign(domain=CANDIDATE_JURY, jury=jury, actor=staff)
    for evaluation in ApplicationEvaluation.objects.filter(member__jury=jury):
        _score(evaluation, 4 if evaluation.application_id == strong.pk else 2)

    ranking = list(jury_ranking(CANDIDATE_JURY, jury))
    computed = list(jury_ranking(CANDIDATE_JURY, jury, computed=True))

    assert [row["pk"] for row in ranking] == [strong.pk, weak.pk]
    assert [(row["pk"], row["done"], row["due"]) for row in ranking] == [
        (strong.pk, 2, 2),
        (weak.pk, 2, 2),
    ]
    assert [row["weighted"] for row in ranking] == [row["weighted"] for row in computed]


def test_staff_page_of_a_scored_applications_evaluations(client):
    # The engine's page asks each evaluation whether it was made on an earlier text.
    jury = _jury(jurors=1, k=1)
    staff = StaffFactory()
    application = _application(jury)
    services.jury_assign(domain=CANDIDATE_JURY, jury=jury, actor=staff)
    _score(ApplicationEvaluation.objects.get(application=application), 3)
    client.force_login(staff)

    response = client.get(reverse("jury:selection_dossier", args=[jury.pk, application.pk]))

    assert response.status_code == 200
    assert "Évaluations soumises : 1 sur 1" in _text(response)


def test_shortlist_preselects_the_application_with_history():
    jury = _jury()
    staff = StaffFactory()
    application = _application(jury)

    review_shortlist(domain=CANDIDATE_JURY, jury=jury, dossier=application, actor=staff)

    application.refresh_from_db()
    assert application.state == State.PRESELECTED
    event = history_for(application).exclude(to_state="").last()
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        Application.Action.PRESELECTED,
        State.SUBMITTED,
        State.PRESELECTED,
        staff,
    )


@pytest.mark.parametrize(
    ("decision", "state"),
    [
        ("selected", State.ADMITTED),
        ("waiting_list", State.WAITING_LIST),
        ("not_selected", State.DECLINED),
    ],
)
def test_decisions_move_the_application_with_history_and_mail(
    decision, state, django_capture_on_commit_callbacks
):
    jury = _jury()
    staff = StaffFactory()
    application = _application(jury)
    review_shortlist(domain=CANDIDATE_JURY, jury=jury, dossier=application, actor=staff)

    reason = {"waiting_list": "attente_places", "not_selected": "coherence"}.get(decision, "")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.review_decide(
            domain=CANDIDATE_JURY,
            jury=jury,
            dossier=application,
            decision=decision,
            motivation="Motivation du jury.",
            reason=reason,
            actor=staff,
        )
    # The decisions of candidates leave together, when staff send them.
    assert not OutboxMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert decisions.decisions_send(domain=CANDIDATE_JURY, jury=jury, actor=staff) == 1

    application.refresh_from_db()
    assert application.state == state
    moves = [
        (event.action, event.from_state, event.to_state)
        for event in history_for(application).exclude(to_state="")
    ]
    assert moves[-1] == (Application.Action.DECIDED, State.PRESELECTED, state)
    (message,) = OutboxMessage.objects.filter(template="application_jury_decision_letter")
    assert message.recipients == [application.candidate.email]
    assert f"Bonjour {application.candidate.get_full_name()}," in message.body
    assert "Motivation du jury." in message.body
    if reason:
        assert f"Motif : {CANDIDATE_JURY.reason_label(decision, reason)}" in message.body


def test_jury_move_refused_while_the_call_is_open_or_from_a_wrong_state():
    jury = _jury()
    application = _application(jury)
    with pytest.raises(DeadlinePassed):
        application_jury_move(
            dossier=application,
            to_state="shortlisted",
            actor=None,
            now=jury.candidate_call.closes_at - datetime.timedelta(seconds=1),
        )
    with pytest.raises(InvalidTransition):
        application_jury_move(dossier=application, to_state="submitted", actor=None)
    application_jury_move(dossier=application, to_state="not_selected", actor=None)
    with pytest.raises(InvalidTransition):
        application_jury_move(dossier=application, to_state="selected", actor=None)


# --- Presets ---------------------------------------------------------------------------------


def test_candidate_presets_only_for_candidate_juries():
    jury = _jury()
    keys = {key for key, _ in preset_choices("candidatures")}
    assert {"candidats-p6-preselection", "candidats-p7-entretien"} <= keys
    assert "candidats-p6-preselection" not in {key for key, _ in preset_choices("defis")}

    criteria = jury_apply_preset(jury=jury, key="candidats-p6-preselection")

    assert [(c.scale_min, c.scale_max) for c in criteria] == [(0, 5)] * 6
    with pytest.raises(DomainError) as error:
        jury_apply_preset(jury=jury_with_grid(criteria=1), key="candidats-p7-dossier")
    assert error.value.code == "preset_domain"


# --- Anonymity, as the call says ------------------------------------------------------------


@pytest.fixture
def juror_world(settings):
    """For a call (anonymous or not): an application with a CV and its anonymised CV, a
    wish, and the juror who evaluates it."""

    def build(anonymous: bool):
        jury = _jury(anonymous=anonymous, jurors=1, k=1)
        position = DefiPosition.objects.create(
            defi=selected_defi(
                jury.candidate_call.promotion,
                AdministrationFactory(),
                positions=0,
                title="Titre du défi souhaité",
            ),
            rank=1,
            specialty=Specialty.DEVELOPMENT,
            missions="M",
        )
        application = _application(jury)
        application.cv.save("cv.pdf", SimpleUploadedFile("cv.pdf", pdf_bytes(1)), save=False)
        application.cv_anonymised.save(
            "cv-anonyme.pdf", SimpleUploadedFile("cv-anonyme.pdf", pdf_bytes(2)), save=False
        )
        application.save()
        Wish.objects.create(application=application, position=position, rank=1)
        services.jury_assign(domain=CANDIDATE_JURY, jury=jury, actor=StaffFactory())
        evaluation = ApplicationEvaluation.objects.get(application=application)
        return jury, application, evaluation

    return build


def _identity(application) -> list[str]:
    candidate = application.candidate
    return [
        candidate.last_name,
        candidate.email,
        application.phone,
        application.github_url,
        "camille-identifiable",
        str(application.birth_year),
    ]


def _juror_pages(client, jury, evaluation) -> list[str]:
    client.force_login(evaluation.member.user)
    return [
        _text(client.get(reverse("jury:dashboard"))),
        _text(client.get(reverse("jury:evaluation_detail", args=["candidatures", evaluation.pk]))),
        _text(client.get(reverse("jury:conflicts", args=[jury.pk]))),
    ]


def test_anonymous_call_shows_no_identity_on_juror_pages_mails_and_export(client, juror_world):
    jury, application, evaluation = juror_world(anonymous=True)
    number = f"Candidature n° {application.pk:05d}"

    pages = _juror_pages(client, jury, evaluation)
    services.jury_notify_jurors(domain=CANDIDATE_JURY, jury=jury)
    (mail,) = OutboxMessage.objects.filter(template="jury_assignments")
    export = str(jury_personal_data(evaluation.member.user))

    for shown in [*pages, mail.body, export]:
        assert number in shown
        for identity in _identity(application):
            assert identity not in shown, identity
    # What the juror reads: the métier, the experience, the motivation, the wishes.
    assert "Sept ans de développement web." in pages[1]
    assert "Titre du défi souhaité" in pages[1]
    assert "CV anonymisé" in pages[1]


def test_anonymous_call_juror_gets_the_anonymised_cv_only(client, juror_world):
    jury, application, evaluation = juror_world(anonymous=True)
    client.force_login(evaluation.member.user)
    url = reverse("candidates:evaluation_cv", args=[evaluation.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes(2)

    Application.objects.filter(pk=application.pk).update(cv_anonymised="")
    assert client.get(url).status_code == 404


def test_named_call_juror_pages_may_show_the_name_but_no_contact(client, juror_world):
    jury, application, evaluation = juror_world(anonymous=False)

    pages = _juror_pages(client, jury, evaluation)
    response = client.get(reverse("candidates:evaluation_cv", args=[evaluation.pk]))

    assert application.candidate.last_name in pages[0]
    assert application.candidate.last_name in pages[1]
    for identity in _identity(application)[1:]:
        assert identity not in pages[1], identity
    assert b"".join(response.streaming_content) == pdf_bytes(1)


def test_cv_of_an_evaluation_is_the_evaluating_jurors_only(client, juror_world):
    jury, application, evaluation = juror_world(anonymous=False)
    url = reverse("candidates:evaluation_cv", args=[evaluation.pk])

    client.force_login(JuryMemberFactory(jury=jury).user)
    assert client.get(url).status_code == 404
    client.force_login(application.candidate)
    assert client.get(url).status_code == 404
