"""The deliberation on applications: métier by métier, a decision with a reason from the
programme's list and a motivation, letters staff rewrite, and decisions that leave together,
each mailed once; the candidate reads a decision once it is sent."""

import html

import pytest
from django.urls import reverse

from candidates.jury import CANDIDATE_JURY, DECISION_LETTERS
from candidates.models import Application
from eig.exceptions import DomainError
from eig.history.selectors import history_for
from eig.jury import decisions
from eig.jury.models import DecisionLetter, ReviewAction
from eig.notifications.models import OutboxMessage
from eig.programme.models import Specialty
from tests.candidates.test_jury_domain import _application, _jury
from tests.factories import AgentFactory, ClosedProjectCallFactory, StaffFactory, jury_for_call

pytestmark = pytest.mark.django_db
State = Application.State


def _text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _decide(jury, application, staff, decision="not_selected", reason="coherence", **kwargs):
    return decisions.review_decide(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=application,
        decision=decision,
        motivation=kwargs.pop("motivation", "Le profil ne répond pas aux défis."),
        reason=reason,
        actor=staff,
        **kwargs,
    )


def _send(jury, staff, group=""):
    return decisions.decisions_send(domain=CANDIDATE_JURY, jury=jury, actor=staff, group=group)


# --- Reasons -------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["waiting_list", "not_selected"])
@pytest.mark.parametrize("reason", ["", "inconnu", "attente_places_typo"])
def test_decision_needs_a_reason_of_its_own_list(decision, reason):
    jury, staff = _jury(), StaffFactory()
    application = _application(jury)

    with pytest.raises(DomainError, match="Choisissez le motif"):
        _decide(jury, application, staff, decision, reason)

    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_a_reason_of_the_other_decision_is_refused():
    jury, staff = _jury(), StaffFactory()
    with pytest.raises(DomainError, match="Choisissez le motif"):
        _decide(jury, _application(jury), staff, "not_selected", "attente_places")


def test_decision_keeps_its_reason_in_the_review_and_the_history():
    jury, staff = _jury(), StaffFactory()
    application = _application(jury)

    review = _decide(jury, application, staff, "waiting_list", "attente_voeux")

    assert (review.decision, review.reason, review.decision_sent_at) == (
        "waiting_list",
        "attente_voeux",
        None,
    )
    event = history_for(review).get(action=ReviewAction.DECIDED)
    assert event.data == {"reason": "attente_voeux"}
    # Admission needs no reason: one given is not kept.
    other = _decide(jury, _application(jury), staff, "selected", "coherence")
    assert other.reason == ""


# --- Sending together, once ----------------------------------------------------------------


def test_decisions_wait_then_leave_once(django_capture_on_commit_callbacks):
    jury, staff = _jury(), StaffFactory()
    declined, admitted = _application(jury), _application(jury)
    _decide(jury, declined, staff)
    _decide(jury, admitted, staff, "selected", "", motivation="")
    assert not OutboxMessage.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert _send(jury, staff) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(jury, staff) == 0

    messages = OutboxMessage.objects.order_by("pk")
    assert [message.recipients for message in messages] == [
        [declined.candidate.email],
        [admitted.candidate.email],
    ]
    refused, welcome = messages
    assert "n'est pas retenue" in refused.subject
    assert "Motif : Cohérence du profil avec la spécialité métier insuffisante" in refused.body
    assert "Le profil ne répond pas aux défis." in refused.body
    assert "vivier" in welcome.subject
    assert f"/candidater/{jury.candidate_call.slug}/ma-candidature/" in welcome.body
    # Admitted without a motivation: its marker leaves no gap.
    assert "\n\n\n" not in welcome.body
    for application in (declined, admitted):
        application.refresh_from_db()
        assert application.decision_sent_at is not None and application.decision_disclosed
    review = CANDIDATE_JURY.review_model.objects.get(application=declined)
    assert history_for(review).filter(action=ReviewAction.DECISION_SENT).count() == 1


def test_sending_one_metier_leaves_the_others_waiting():
    jury, staff = _jury(), StaffFactory()
    developer = _application(jury, specialty=Specialty.DEVELOPMENT)
    designer = _application(jury, specialty=Specialty.DESIGN)
    _decide(jury, developer, staff)
    _decide(jury, designer, staff)

    assert _send(jury, staff, group=Specialty.DESIGN) == 1

    assert OutboxMessage.objects.get().recipients == [designer.candidate.email]
    assert list(decisions.decisions_unsent(CANDIDATE_JURY, jury)) == [
        CANDIDATE_JURY.review_model.objects.get(application=developer)
    ]


def test_a_waiting_list_resolved_later_is_mailed_in_its_turn():
    jury, staff = _jury(), StaffFactory()
    application = _application(jury)
    _decide(jury, application, staff, "waiting_list", "attente_places")
    _send(jury, staff)

    _decide(jury, application, staff, "selected", "", motivation="Une place s'est libérée.")
    application.refresh_from_db()
    assert not application.decision_disclosed
    assert _send(jury, staff) == 1

    subjects = list(OutboxMessage.objects.order_by("pk").values_list("subject", flat=True))
    assert "liste d'attente" in subjects[0] and "vivier" in subjects[1]


def test_sending_is_for_staff_only():
    jury, staff = _jury(), StaffFactory()
    _decide(jury, _application(jury), staff)

    with pytest.raises(DomainError, match="équipe du programme"):
        _send(jury, AgentFactory())

    assert not OutboxMessage.objects.exists()
    assert decisions.decisions_unsent(CANDIDATE_JURY, jury).count() == 1


# --- Letters -------------------------------------------------------------------------------


def test_a_rewritten_letter_is_the_one_sent():
    jury, staff = _jury(), StaffFactory()
    application = _application(jury)
    letter = decisions.decision_letter_save(
        domain=CANDIDATE_JURY,
        jury=jury,
        decision="not_selected",
        subject="Réponse du jury — [appel]",
        body="Madame, Monsieur [personne],\n\n[décision] : [motif].\n\n[motivation]\n\n[lien]",
        actor=staff,
    )
    _decide(jury, application, staff)
    _send(jury, staff)

    message = OutboxMessage.objects.get()
    call = jury.candidate_call
    assert message.subject.endswith(f"Réponse du jury — {call}")
    assert f"Madame, Monsieur {application.candidate.get_full_name()}," in message.body
    assert "Non retenue : Cohérence du profil" in message.body
    assert "[" not in message.body
    assert history_for(letter).get().actor == staff
    # The other decisions keep the programme's text.
    letters = decisions.decision_letters(CANDIDATE_JURY, jury)
    assert letters["selected"] == DECISION_LETTERS["selected"]


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("Objet", "Bonjour [prenom],", r"Balise inconnue : \[prenom\]"),
        ("", "Texte", "obligatoires"),
        ("Objet", "   ", "obligatoires"),
        ("Objet", "x" * 5001, "5000 caractères"),
    ],
)
def test_a_letter_with_an_unknown_marker_or_empty_is_refused(subject, body, message):
    jury, staff = _jury(), StaffFactory()
    with pytest.raises(DomainError, match=message):
        decisions.decision_letter_save(
            domain=CANDIDATE_JURY,
            jury=jury,
            decision="selected",
            subject=subject,
            body=body,
            actor=staff,
        )
    assert not DecisionLetter.objects.exists()


def test_letters_are_for_staff_only():
    jury = _jury()
    with pytest.raises(DomainError, match="équipe du programme"):
        decisions.decision_letter_save(
            domain=CANDIDATE_JURY,
            jury=jury,
            decision="selected",
            subject="Objet",
            body="Texte",
            actor=AgentFactory(),
        )


# --- Pages ---------------------------------------------------------------------------------


def _deliberation_url(jury, **query):
    url = reverse("jury:selection_deliberation", args=[jury.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def test_deliberation_page_goes_metier_by_metier(client):
    jury, staff = _jury(), StaffFactory()
    developer = _application(jury, specialty=Specialty.DEVELOPMENT)
    designer = _application(jury, specialty=Specialty.DESIGN)
    client.force_login(staff)

    page = _text(client.get(_deliberation_url(jury, groupe=Specialty.DESIGN)))

    assert designer.candidate.last_name in page
    assert developer.candidate.last_name not in page
    assert "Délibération — " in page and "Design" in page
    assert "Admise au vivier" in page and "Motif" in page
    # An unknown métier shows every one.
    page = _text(client.get(_deliberation_url(jury, groupe="astronaute")))
    assert designer.candidate.last_name in page and developer.candidate.last_name in page


def test_deciding_on_the_page_asks_a_reason_then_confirms(client):
    jury, staff = _jury(), StaffFactory()
    application = _application(jury, specialty=Specialty.DESIGN)
    client.force_login(staff)
    url = _deliberation_url(jury, groupe=Specialty.DESIGN)
    prefix = f"dossier-{application.pk}"
    data = {
        "action": "decide",
        "dossier": application.pk,
        f"{prefix}-decision": "not_selected",
        f"{prefix}-motivation": "Peu d'expérience du design de services publics.",
    }

    response = client.post(url, data)
    assert response.status_code == 400
    assert "Choisissez le motif de la décision « Non retenue » dans sa liste." in _text(response)

    data[f"{prefix}-reason"] = "coherence"
    confirmation = _text(client.post(url, data))
    assert "avec les autres décisions, quand vous les enverrez" in confirmation
    assert "Cohérence du profil avec la spécialité métier insuffisante" in confirmation

    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == url
    review = CANDIDATE_JURY.review_model.objects.get(application=application)
    assert (review.decision, review.reason) == ("not_selected", "coherence")
    assert not OutboxMessage.objects.exists()
    page = _text(client.get(url))
    assert "À envoyer" in page and "Envoyer 1 décision (Design)" in page


def test_sending_on_the_page_confirms_then_mails_each_once(client):
    jury, staff = _jury(), StaffFactory()
    _decide(jury, _application(jury, specialty=Specialty.DESIGN), staff)
    _decide(jury, _application(jury, specialty=Specialty.DEVELOPMENT), staff)
    client.force_login(staff)
    url = _deliberation_url(jury, groupe=Specialty.DESIGN)

    confirmation = _text(client.post(url, {"action": "send"}))
    assert "Envoyer 1 décision (Métier : Design) ?" in confirmation
    assert not OutboxMessage.objects.exists()

    response = client.post(url, {"action": "send", "confirm": "1"})
    assert response.status_code == 302
    assert OutboxMessage.objects.count() == 1
    response = client.post(url, {"action": "send", "confirm": "1"}, follow=True)
    assert "Aucune décision à envoyer" in _text(response)
    assert OutboxMessage.objects.count() == 1


def test_letters_page_shows_and_saves_each_letter(client):
    jury, staff = _jury(), StaffFactory()
    client.force_login(staff)
    url = reverse("jury:selection_letters", args=[jury.pk])

    page = _text(client.get(url))
    assert "Courriers de décision" in page and "[motivation]" in page
    assert "Le texte proposé par le programme" in page

    response = client.post(
        url,
        {
            "decision": "waiting_list",
            "waiting_list-subject": "Liste d'attente — [appel]",
            "waiting_list-body": "Bonjour [nom],",
        },
    )
    assert response.status_code == 400
    assert "Balise inconnue : [nom]" in _text(response)
    assert not DecisionLetter.objects.exists()

    response = client.post(
        url,
        {
            "decision": "waiting_list",
            "waiting_list-subject": "Liste d'attente — [appel]",
            "waiting_list-body": "Bonjour [personne],\n\n[motif]",
        },
    )
    assert response.status_code == 302
    letter = DecisionLetter.objects.get()
    assert (letter.jury, letter.decision, letter.updated_by) == (jury, "waiting_list", staff)
    assert "Modifié le" in _text(client.get(url))


def test_letters_page_of_a_domain_without_letters_is_not_found(client):
    # A jury of défis: its decisions leave one by one, with their template.
    jury = jury_for_call(ClosedProjectCallFactory())
    client.force_login(StaffFactory())
    assert client.get(reverse("jury:selection_letters", args=[jury.pk])).status_code == 404


# --- The candidate's side ------------------------------------------------------------------


def test_the_candidate_reads_the_decision_once_it_is_sent(client):
    jury, staff = _jury(), StaffFactory()
    application = _application(jury)
    _decide(jury, application, staff, "selected", "", motivation="")
    client.force_login(application.candidate)
    url = reverse("candidates:application", args=[jury.candidate_call.slug])

    before = _text(client.get(url))
    assert "Admise au vivier" not in before and "Décision du jury" not in before
    assert "Déposée" in before
    assert "Présélection sur dossier</strong> : en cours depuis la clôture de l’appel" in before
    dashboard = _text(client.get(reverse("accounts:dashboard")))
    assert "En cours de sélection" in dashboard and "Admise au vivier" not in dashboard

    _send(jury, staff)

    after = _text(client.get(url))
    assert "« Admise au vivier », envoyée par courriel le" in after
    assert "Décision du jury" in after
    assert "Présélection sur dossier</strong> : faite." in after


def test_the_personal_data_export_holds_a_decision_back_until_it_is_sent():
    from eig.accounts.personal_data import user_personal_data

    jury, staff = _jury(), StaffFactory()
    application = _application(jury)
    review = _decide(jury, application, staff, "not_selected", "coherence")

    exported = user_personal_data(application.candidate)["candidatures"][0]
    assert (exported["state"], exported["decided_at"]) == (State.SUBMITTED, None)
    assert ReviewAction.DECIDED not in [event["action"] for event in exported["historique"]]
    assert Application.Action.DECIDED not in [event["action"] for event in exported["historique"]]
    assert exported["decisions_du_jury"] == []

    _send(jury, staff)

    exported = user_personal_data(application.candidate)["candidatures"][0]
    application.refresh_from_db()
    assert exported["state"] == application.state != State.SUBMITTED
    assert exported["decided_at"] == application.decided_at.isoformat()
    assert Application.Action.DECIDED in [event["action"] for event in exported["historique"]]
    # The decision as the letter gave it.
    review.refresh_from_db()
    assert exported["decisions_du_jury"] == [
        {
            "etape": review.stage.name,
            "decision": "Non retenue",
            "motif": CANDIDATE_JURY.reason_label("not_selected", "coherence"),
            "motivation": "Le profil ne répond pas aux défis.",
            "envoyee_le": review.decision_sent_at.isoformat(),
        }
    ]


def test_the_decision_record_names_each_reason():
    from django.utils import timezone

    from eig.jury.models import DecisionRecord
    from eig.jury.pdf import decision_record_context

    jury, staff = _jury(), StaffFactory()
    application = _application(jury)
    _decide(jury, application, staff, "not_selected", "entrepreneuriat")
    record = DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)

    context = decision_record_context(CANDIDATE_JURY, record, now=timezone.now())

    section = next(item for item in context["sections"] if item["decision"] == "not_selected")
    assert section["label"] == "Non retenue"
    assert [row["reason"] for row in section["rows"]] == [
        "Expérience entrepreneuriale insuffisante"
    ]


@pytest.mark.parametrize("rows", [1, 3])
def test_deliberation_and_letters_pages_queries_do_not_grow(client, rows):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    jury, staff = _jury(), StaffFactory()
    for number in range(rows):
        application = _application(jury, specialty=Specialty.DESIGN)
        _decide(jury, application, staff)
        decisions.decision_letter_save(
            domain=CANDIDATE_JURY,
            jury=jury,
            decision=["selected", "waiting_list", "not_selected"][number],
            subject="Objet",
            body="Texte [motif]",
            actor=staff,
        )
    client.force_login(staff)
    counts = {}
    for name, url in [
        ("deliberation", _deliberation_url(jury, groupe=Specialty.DESIGN)),
        ("letters", reverse("jury:selection_letters", args=[jury.pk])),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    # The same whatever the number of applications, decisions and letters saved.
    assert counts == {"deliberation": 9, "letters": 6}
