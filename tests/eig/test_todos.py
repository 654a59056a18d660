"""The personal space's "À faire": the registry, each app's providers, and the page."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from eig.accounts.models import Role
from eig.accounts.services import user_two_factor_set
from eig.accounts.todos import Urgency, counted, urgency_for, user_todos
from eig.programme.services import membership_request
from funding.models import ConventionVersion
from funding.services import preparation
from projects.models import Defi, DefiEvaluation
from tests.factories import (
    TOTP_SECRET,
    AgentFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    JurorFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    SignatoryAgentFactory,
    StaffFactory,
    UserFactory,
    funded_promotion,
    jury_for_call,
    ministry,
    selected_defi,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

# The personal space's queries for a person holding the agent, juror and staff roles, the
# same for 1 and for 3 drafts, evaluations, dossiers without jurors and conventions (one
# query each for the requests to join an administration, as a member and as staff).
DASHBOARD_QUERIES = 13


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_counted_agrees_in_number_the_french_way():
    assert counted(0, "dossier", "dossiers") == "0 dossier"
    assert counted(1, "convention à signer", "conventions à signer") == "1 convention à signer"
    assert counted(3, "dossier à évaluer", "dossiers à évaluer") == "3 dossiers à évaluer"


def test_urgency_for_follows_the_deadline():
    now = timezone.now()
    day = datetime.timedelta(days=1)
    assert urgency_for(None, now) == Urgency.NORMAL
    assert urgency_for(now - day, now) == Urgency.OVERDUE
    assert urgency_for(now + day, now) == Urgency.URGENT
    assert urgency_for(now + 5 * day, now) == Urgency.SOON
    assert urgency_for(now + 20 * day, now) == Urgency.NORMAL


def _juror_with(count: int, *, deadline_in=datetime.timedelta(days=1)):
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call)
    jury.scoring_deadline = timezone.now() + deadline_in
    jury.save(update_fields=["scoring_deadline"])
    member = JuryMemberFactory(jury=jury)
    for _ in range(count):
        DefiEvaluation.objects.create(member=member, defi=submitted_defi(call))
    return member.user, jury


def test_juror_todo_counts_the_dossiers_left_with_the_deadline(client):
    juror, jury = _juror_with(3)
    DefiEvaluation.objects.filter(member__user=juror).order_by("pk").filter(
        pk=DefiEvaluation.objects.filter(member__user=juror).order_by("pk").first().pk
    ).update(state=DefiEvaluation.State.SUBMITTED)
    client.force_login(juror)

    text = _text(client.get(reverse("accounts:dashboard")))

    assert f"2 dossiers à évaluer ({jury})" in text
    assert "Urgent" in text
    assert reverse("jury:dashboard") in text
    # The old card promised dossiers "later" while two were waiting.
    assert "apparaîtront ici" not in text


def test_juror_todo_singular_and_none_when_all_submitted(client):
    juror, jury = _juror_with(1)
    client.force_login(juror)
    assert f"1 dossier à évaluer ({jury})" in _text(client.get(reverse("accounts:dashboard")))

    DefiEvaluation.objects.update(state=DefiEvaluation.State.SUBMITTED)
    text = _text(client.get(reverse("accounts:dashboard")))
    assert "à évaluer" not in text
    assert "Rien ne vous attend pour l’instant." in text


def test_agent_todo_lists_drafts_before_the_deadline_and_shortlisted_defis(client):
    agent = AgentFactory()
    call = ProjectCallFactory(closes_at=timezone.now() + datetime.timedelta(days=5))
    DefiFactory(call=call, owner=agent)
    DefiFactory(call=call, owner=agent)
    # Not a to-do: a draft on a closed call can no longer be submitted.
    DefiFactory(call=ClosedProjectCallFactory(), owner=agent)
    shortlisted = submitted_defi(ClosedProjectCallFactory(), owner=agent)
    Defi.objects.filter(pk=shortlisted.pk).update(state=Defi.State.SHORTLISTED)
    client.force_login(agent)

    text = _text(client.get(reverse("accounts:dashboard")))

    assert "2 brouillons de défi à déposer" in text
    assert "Cette semaine" in text
    assert "1 défi présélectionné : préparez son audition" in text


def test_staff_todo_dossiers_without_jurors_and_juries_to_deliberate(client):
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, k=2)
    member = JuryMemberFactory(jury=jury)
    submitted_defi(call)
    submitted_defi(call)
    partly = submitted_defi(call)
    DefiEvaluation.objects.create(member=member, defi=partly, state=DefiEvaluation.State.SUBMITTED)
    # An open call's défis are not yet to assign.
    submitted_defi(ProjectCallFactory())
    staff = StaffFactory()
    client.force_login(staff)

    text = _text(client.get(reverse("accounts:dashboard")))

    assert f"2 dossiers sans juré ({jury})" in text
    assert f"1 dossier auquel il manque un juré ({jury})" in text
    assert reverse("jury:selection_assignment", args=[jury.pk]) in text
    assert "en attente de décision" not in text

    jury.scoring_deadline = timezone.now() - datetime.timedelta(hours=1)
    jury.save(update_fields=["scoring_deadline"])
    text = _text(client.get(reverse("accounts:dashboard")))
    assert f"3 défis en attente de décision ({jury})" in text
    assert reverse("jury:selection_deliberation", args=[jury.pk]) in text


def _conventions(count: int, state: str, agent=None):
    promotion = funded_promotion("6", envelope=Decimal("1000000.00"))
    staff = StaffFactory()
    signatories = []
    for index in range(count):
        signatory = (
            agent.administration if agent and index == 0 else ministry(budget_programme="361")
        )
        selected_defi(promotion, signatory, positions=2)
        preparation.convention_prepare(promotion=promotion, administration=signatory, actor=staff)
        signatories.append(signatory)
    now = timezone.now()
    ConventionVersion.objects.update(state=state, sent_at=now, signed_admin_at=now)
    return signatories


def test_funding_todos_conventions_to_sign_and_to_countersign(client):
    agent = SignatoryAgentFactory(administration=ministry(budget_programme="361"))
    _conventions(1, ConventionVersion.State.SENT, agent=agent)
    client.force_login(agent)
    assert "1 convention à signer" in _text(client.get(reverse("accounts:dashboard")))
    # A member who does not sign reads the convention but has nothing to do.
    client.force_login(AgentFactory(administration=agent.administration))
    assert "à signer" not in _text(client.get(reverse("accounts:dashboard")))
    client.force_login(agent)

    ConventionVersion.objects.update(state=ConventionVersion.State.SIGNED_ADMIN)
    assert "à signer" not in _text(client.get(reverse("accounts:dashboard")))
    client.force_login(StaffFactory())
    assert "1 convention à contresigner" in _text(client.get(reverse("accounts:dashboard")))


def test_todos_of_a_role_the_user_lacks_are_not_shown():
    agent = AgentFactory(administration=ministry(budget_programme="361"))
    _conventions(1, ConventionVersion.State.SIGNED_ADMIN, agent=agent)
    _juror_with(2)

    assert user_todos(CandidateFactory()) == []
    assert user_todos(agent) == []


@pytest.mark.parametrize("rows", [1, 3])
def test_dashboard_queries_do_not_grow_with_rows(client, django_assert_num_queries, rows):
    user, jury = _juror_with(rows)
    agent_admin = ministry(budget_programme="361")
    user.roles = [Role.AGENT, Role.JUROR, Role.STAFF]
    user.administration = agent_admin
    user.is_staff = True
    user.save()
    call = ProjectCallFactory()
    for _ in range(rows):
        DefiFactory(call=call, owner=user, administration=agent_admin)
    # Dossiers without jurors, and conventions to sign for the user's administration.
    closed = ClosedProjectCallFactory()
    jury_for_call(closed)
    for _ in range(rows):
        submitted_defi(closed)
    _conventions(rows, ConventionVersion.State.SENT, agent=user)
    user_two_factor_set(user=user, totp_secret=TOTP_SECRET)  # staff reach pages once enrolled
    client.force_login(user)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("accounts:dashboard"))

    text = _text(response)
    assert counted(rows, "dossier à évaluer", "dossiers à évaluer") in text
    assert counted(rows, "dossier sans juré", "dossiers sans juré") in text
    assert counted(rows, "brouillon de défi à déposer", "brouillons de défi à déposer") in text


@pytest.mark.parametrize(
    ("factory", "sees_defis"),
    [
        (AgentFactory, True),
        (CandidateFactory, False),
        (JurorFactory, False),
        (lambda: UserFactory(roles=[Role.COACH]), False),
    ],
)
def test_main_menu_shows_my_defis_only_to_agents(client, factory, sees_defis):
    client.force_login(factory())

    text = _text(client.get(reverse("accounts:dashboard")))

    assert (f'href="{reverse("projects:my_defis")}"' in text) == sees_defis


# --- Requests to join an administration ---------------------------------------------------


def test_programme_todos_requests_wait_for_the_members_of_the_administration(client):
    culture = ministry(name="Ministère de la Culture")
    member = AgentFactory(administration=culture)
    for _ in range(2):
        membership_request(user=AgentFactory(administration=None), administration=culture)
    outsider = AgentFactory(administration=ministry(name="Ministère des Armées"))

    client.force_login(member)
    text = _text(client.get(reverse("accounts:dashboard")))

    assert "2 demandes de rattachement à examiner" in text
    assert reverse("programme:administration_members", args=[culture.pk]) in text
    assert [todo.label for todo in user_todos(outsider)] == []
    # Someone of the administration can decide: nothing waits for staff.
    assert "rattachement" not in " ".join(t.label for t in user_todos(StaffFactory()))


def test_programme_todos_staff_decide_when_nobody_of_the_administration_can():
    newcomer = AgentFactory(administration=None)
    membership_request(user=newcomer, administration=ministry(name="Cerema"))

    labels = [todo.label for todo in user_todos(StaffFactory())]

    assert "1 demande de rattachement sans agent pour l'examiner" in labels


def test_programme_todos_an_agent_not_verified_sees_their_request_or_the_step_to_make_it():
    agent = AgentFactory(administration=None)
    assert [todo.label for todo in user_todos(agent)] == ["Indiquez votre administration"]

    membership_request(user=agent, administration=ministry(name="Cerema"))

    assert [todo.label for todo in user_todos(agent)] == [
        "Demande de rattachement en attente de validation (Cerema)"
    ]
