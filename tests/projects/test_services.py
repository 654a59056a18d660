import datetime

import pytest
from django.core import mail
from django.utils import timezone

from eig.accounts.models import Role
from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.selectors import history_for
from projects import services
from projects.models import Defi
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    ProjectCallFactory,
    fill_defi,
)

pytestmark = pytest.mark.django_db
State = Defi.State


def _history(defi):
    return list(history_for(defi).values_list("from_state", "to_state"))


def test_defi_create_starts_a_draft_with_history():
    agent = AgentFactory()
    call = ProjectCallFactory()

    defi = services.defi_create(call=call, author=agent, title="Signal conso")

    assert defi.state == State.DRAFT
    assert defi.administration == agent.administration
    assert defi.porteur_email == agent.email
    assert _history(defi) == [("", State.DRAFT)]


def test_defi_create_refused_without_administration():
    agent = AgentFactory(administration=None)

    with pytest.raises(DomainError) as error:
        services.defi_create(call=ProjectCallFactory(), author=agent)

    assert error.value.code == "no_administration"


def test_defi_create_refused_for_a_candidate():
    with pytest.raises(DomainError):
        services.defi_create(call=ProjectCallFactory(), author=CandidateFactory())


def test_defi_create_refused_after_closing():
    call = ProjectCallFactory(closes_at=timezone.now() - datetime.timedelta(minutes=1))

    with pytest.raises(DeadlinePassed):
        services.defi_create(call=call, author=AgentFactory())


def test_defi_submit_records_transition_and_mails_editors(django_capture_on_commit_callbacks):
    defi = fill_defi(DefiFactory())
    colleague = AgentFactory(administration=defi.administration)
    defi.collaborators.add(colleague)

    with django_capture_on_commit_callbacks(execute=True):
        services.defi_submit(defi=defi, actor=defi.owner)

    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert defi.submitted_at is not None
    assert _history(defi) == [("", State.DRAFT), (State.DRAFT, State.SUBMITTED)]
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([defi.owner.email, colleague.email])
    assert defi.title in mail.outbox[0].subject + mail.outbox[0].body


def test_defi_submit_incomplete_lists_missing_sections():
    defi = DefiFactory()

    with pytest.raises(IncompleteDossier) as error:
        services.defi_submit(defi=defi, actor=defi.owner)

    missing = " ".join(error.value.missing)
    assert "Contacts" in missing
    assert "Profils recherchés : indiquez au moins 2 profils." in missing
    assert "Présentation de synthèse : joignez la présentation au format PDF." in missing
    defi.refresh_from_db()
    assert defi.state == State.DRAFT


def test_defi_submit_needs_two_positions():
    defi = fill_defi(DefiFactory(), positions=1)

    with pytest.raises(IncompleteDossier) as error:
        services.defi_submit(defi=defi, actor=defi.owner)

    assert error.value.missing == ["Profils recherchés : indiquez au moins 2 profils."]


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (datetime.timedelta(seconds=-1), True),  # one second before closing
        (datetime.timedelta(0), False),  # at the closing instant
        (datetime.timedelta(seconds=1), False),  # after
    ],
)
def test_defi_submit_deadline_before_at_after(offset, allowed):
    defi = fill_defi(DefiFactory())
    closes_at = defi.call.closes_at

    if allowed:
        services.defi_submit(defi=defi, actor=defi.owner, now=closes_at + offset)
        defi.refresh_from_db()
        assert defi.state == State.SUBMITTED
    else:
        with pytest.raises(DeadlinePassed) as error:
            services.defi_submit(defi=defi, actor=defi.owner, now=closes_at + offset)
        assert "heure de Paris" in error.value.message
        defi.refresh_from_db()
        assert defi.state == State.DRAFT


def test_defi_submit_refused_before_opening():
    defi = fill_defi(DefiFactory())

    with pytest.raises(DeadlinePassed) as error:
        services.defi_submit(
            defi=defi, actor=defi.owner, now=defi.call.opens_at - datetime.timedelta(seconds=1)
        )

    assert error.value.code == "not_open"


def test_deadline_message_shows_paris_time():
    closes_at = datetime.datetime(2027, 3, 18, 22, 59, tzinfo=datetime.UTC)  # 23:59 in Paris
    defi = fill_defi(
        DefiFactory(
            call=ProjectCallFactory(
                opens_at=closes_at - datetime.timedelta(days=30), closes_at=closes_at
            )
        )
    )

    with pytest.raises(DeadlinePassed) as error:
        services.defi_submit(defi=defi, actor=defi.owner, now=closes_at)

    assert "18/03/2027 à 23:59" in error.value.message


def test_defi_reopen_then_resubmit():
    defi = fill_defi(DefiFactory())
    services.defi_submit(defi=defi, actor=defi.owner)

    services.defi_reopen(defi=defi, actor=defi.owner)
    services.defi_submit(defi=defi, actor=defi.owner)

    assert _history(defi) == [
        ("", State.DRAFT),
        (State.DRAFT, State.SUBMITTED),
        (State.SUBMITTED, State.DRAFT),
        (State.DRAFT, State.SUBMITTED),
    ]


def test_defi_reopen_refused_after_closing():
    defi = fill_defi(DefiFactory())
    services.defi_submit(defi=defi, actor=defi.owner)

    with pytest.raises(DeadlinePassed):
        services.defi_reopen(
            defi=defi, actor=defi.owner, now=defi.call.closes_at + datetime.timedelta(hours=1)
        )

    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED


def test_defi_withdraw_and_restore():
    defi = DefiFactory()

    services.defi_withdraw(defi=defi, actor=defi.owner)
    defi.refresh_from_db()
    assert defi.state == State.WITHDRAWN

    services.defi_restore(defi=defi, actor=defi.owner)
    defi.refresh_from_db()
    assert defi.state == State.DRAFT


@pytest.mark.parametrize(
    ("state", "service"),
    [
        (State.DRAFT, services.defi_reopen),
        (State.SUBMITTED, services.defi_restore),
        (State.WITHDRAWN, services.defi_withdraw),
        (State.SELECTED, services.defi_withdraw),
        (State.SELECTED, services.defi_reopen),
    ],
)
def test_defi_illegal_transitions_are_refused(state, service):
    defi = fill_defi(DefiFactory(state=state))

    with pytest.raises(InvalidTransition):
        service(defi=defi, actor=defi.owner)

    defi.refresh_from_db()
    assert defi.state == state
    assert len(_history(defi)) == 1


def test_defi_update_section_refused_when_submitted():
    defi = fill_defi(DefiFactory())
    services.defi_submit(defi=defi, actor=defi.owner)

    with pytest.raises(InvalidTransition):
        services.defi_update_section(defi=defi, actor=defi.owner, data={"title": "Autre"})


def test_defi_update_section_refused_after_closing():
    defi = DefiFactory(
        call=ProjectCallFactory(
            opens_at=timezone.now() - datetime.timedelta(days=30),
            closes_at=timezone.now() - datetime.timedelta(seconds=1),
        )
    )

    with pytest.raises(DeadlinePassed):
        services.defi_update_section(defi=defi, actor=defi.owner, data={"title": "Autre"})


def test_defi_set_positions_replaces_and_ranks():
    defi = DefiFactory()
    services.defi_set_positions(
        defi=defi,
        actor=defi.owner,
        positions=[
            {"specialty": "design", "missions": "a", "skills": ""},
            {"specialty": "data_science", "missions": "b", "skills": ""},
            {"specialty": "developpement", "missions": "c", "skills": ""},
        ],
    )

    services.defi_set_positions(
        defi=defi,
        actor=defi.owner,
        positions=[
            {"specialty": "droit_numerique", "missions": "d", "skills": "RGPD"},
        ],
    )

    assert list(defi.positions.values_list("rank", "specialty")) == [(1, "droit_numerique")]


def test_defi_invite_and_accept_adds_collaborator(django_capture_on_commit_callbacks):
    defi = DefiFactory()
    colleague = AgentFactory(administration=defi.administration)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.defi_invite(
            defi=defi, actor=defi.owner, email=colleague.email.upper()
        )
    services.defi_invitation_accept(invitation=invitation, user=colleague)

    assert list(defi.collaborators.all()) == [colleague]
    assert mail.outbox[0].to == [colleague.email]
    assert invitation.token in mail.outbox[0].body


def test_defi_invite_refuses_agent_of_another_administration():
    defi = DefiFactory()
    stranger = AgentFactory(administration=AdministrationFactory())

    with pytest.raises(DomainError) as error:
        services.defi_invite(defi=defi, actor=defi.owner, email=stranger.email)

    assert error.value.code == "other_administration"


def test_defi_invitation_accept_needs_the_invited_address():
    defi = DefiFactory()
    invitation = services.defi_invite(defi=defi, actor=defi.owner, email="nouvelle@exemple.gouv.fr")
    someone_else = AgentFactory(administration=defi.administration)

    with pytest.raises(DomainError) as error:
        services.defi_invitation_accept(invitation=invitation, user=someone_else)

    assert error.value.code == "invitation_other_email"
    assert list(defi.collaborators.all()) == []


def test_defi_invitation_accept_joins_administration_and_role():
    defi = DefiFactory()
    invitation = services.defi_invite(defi=defi, actor=defi.owner, email="nouvelle@exemple.gouv.fr")
    newcomer = CandidateFactory(email="nouvelle@exemple.gouv.fr")

    services.defi_invitation_accept(invitation=invitation, user=newcomer)

    newcomer.refresh_from_db()
    assert newcomer.administration == defi.administration
    assert Role.AGENT in newcomer.roles
    with pytest.raises(DomainError):
        services.defi_invitation_accept(invitation=invitation, user=newcomer)


def test_defi_invite_twice_resends_the_same_invitation(django_capture_on_commit_callbacks):
    defi = DefiFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.defi_invite(defi=defi, actor=defi.owner, email="neo@exemple.gouv.fr")
        second = services.defi_invite(defi=defi, actor=defi.owner, email="Neo@exemple.gouv.fr")

    assert first == second
    assert defi.invitations.count() == 1
    assert len(mail.outbox) == 2
    assert first.token in mail.outbox[1].body
