import datetime

import pytest
from django.core import mail
from django.utils import timezone

from eig.notifications.models import Reminder
from eig.notifications.services import reminder_send_once
from projects.services import defi_send_draft_reminders
from tests.factories import AgentFactory, DefiFactory, ProjectCallFactory, fill_defi

pytestmark = pytest.mark.django_db


def _call_closing_in(delta):
    now = timezone.now()
    return ProjectCallFactory(opens_at=now - datetime.timedelta(days=30), closes_at=now + delta)


def test_draft_reminder_j7_sent_once_to_each_editor():
    defi = DefiFactory(call=_call_closing_in(datetime.timedelta(days=6, hours=12)))
    colleague = AgentFactory(administration=defi.administration)
    defi.collaborators.add(colleague)

    first = defi_send_draft_reminders()
    second = defi_send_draft_reminders()

    assert (first, second) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([defi.owner.email, colleague.email])
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"defi_draft_j7"}


def test_draft_reminder_j1_follows_j7():
    now = timezone.now()
    defi = DefiFactory(call=_call_closing_in(datetime.timedelta(days=6)))

    defi_send_draft_reminders(now=now)
    defi_send_draft_reminders(now=now + datetime.timedelta(days=5, hours=1))
    defi_send_draft_reminders(now=now + datetime.timedelta(days=5, hours=2))

    assert list(Reminder.objects.order_by("sent_at").values_list("kind", flat=True)) == [
        "defi_draft_j7",
        "defi_draft_j1",
    ]
    assert len(mail.outbox) == 2
    assert defi.title in mail.outbox[1].body


def test_draft_reminder_skips_far_calls_closed_calls_and_submitted_defis():
    DefiFactory(call=_call_closing_in(datetime.timedelta(days=8)))
    DefiFactory(call=_call_closing_in(datetime.timedelta(seconds=-1)))
    submitted = fill_defi(DefiFactory(call=_call_closing_in(datetime.timedelta(days=2))))
    submitted.state = submitted.State.SUBMITTED
    submitted.save()

    assert defi_send_draft_reminders() == 0
    assert mail.outbox == []


def test_reminder_send_once_rolls_back_when_mail_fails(monkeypatch):
    defi = DefiFactory()

    def broken_send(**kwargs):
        raise OSError("SMTP indisponible")

    monkeypatch.setattr("eig.notifications.services.email_send_now", broken_send)
    with pytest.raises(OSError):
        reminder_send_once(
            kind="essai",
            obj=defi,
            recipient=defi.owner,
            due_on=datetime.date(2027, 1, 1),
            template="defi_draft_reminder",
            context={"defi": defi, "call": defi.call, "days": 7},
        )
    monkeypatch.undo()

    assert Reminder.objects.count() == 0
    assert reminder_send_once(
        kind="essai",
        obj=defi,
        recipient=defi.owner,
        due_on=datetime.date(2027, 1, 1),
        template="defi_draft_reminder",
        context={"defi": defi, "call": defi.call, "days": 7},
    )
    assert len(mail.outbox) == 1
