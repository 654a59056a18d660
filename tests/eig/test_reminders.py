import datetime

import pytest
from django.core import mail
from django.utils import timezone

from eig.notifications.models import OutboxMessage, Reminder
from eig.notifications.services import outbox_sweep, reminder_send_once
from projects.services import defi_send_draft_reminders
from tests.factories import AgentFactory, DefiFactory, ProjectCallFactory, fill_defi

pytestmark = pytest.mark.django_db


def _call_closing_in(delta):
    now = timezone.now()
    return ProjectCallFactory(opens_at=now - datetime.timedelta(days=30), closes_at=now + delta)


def test_draft_reminder_j7_sent_once_to_each_editor(django_capture_on_commit_callbacks):
    defi = DefiFactory(call=_call_closing_in(datetime.timedelta(days=6, hours=12)))
    colleague = AgentFactory(administration=defi.administration)
    defi.collaborators.add(colleague)

    with django_capture_on_commit_callbacks(execute=True):
        first = defi_send_draft_reminders()
        second = defi_send_draft_reminders()

    assert (first, second) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([defi.owner.email, colleague.email])
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"defi_draft_j7"}


def test_draft_reminder_j1_follows_j7(django_capture_on_commit_callbacks):
    now = timezone.now()
    defi = DefiFactory(call=_call_closing_in(datetime.timedelta(days=6)))

    with django_capture_on_commit_callbacks(execute=True):
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


def _remind(defi, **kwargs):
    return reminder_send_once(
        kind="essai",
        obj=defi,
        recipient=defi.owner,
        due_on=datetime.date(2027, 1, 1),
        template="defi_draft_reminder",
        context={"defi": defi, "call": defi.call, "days": 7},
        **kwargs,
    )


def test_reminder_send_once_keeps_its_one_row_while_smtp_fails(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    # Before the outbox, a failing SMTP server rolled the reminder back and the next tick
    # wrote it again; now the reminder is written once and its mail waits in the outbox.
    settings.OUTBOX_MAX_ATTEMPTS = 2
    defi = DefiFactory()

    def broken_send(**kwargs):
        raise OSError("SMTP indisponible")

    monkeypatch.setattr("eig.notifications.services.email_send_now", broken_send)
    with django_capture_on_commit_callbacks(execute=True):
        assert _remind(defi)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert not _remind(defi)

    message = OutboxMessage.objects.get()
    assert (Reminder.objects.count(), message.state, message.attempts) == (1, "failed", 2)
    assert message.last_error == "OSError: SMTP indisponible"
    assert mail.outbox == []


def test_reminder_crash_between_smtp_and_commit_is_sent_again_by_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    # At least once: the SMTP server took the mail, then the worker died before the commit
    # that marks it sent. The row is still pending; the sweep sends it again, and there is
    # still one reminder and one outbox row.
    defi = DefiFactory()

    def crash(message, *, now):
        raise RuntimeError("worker tué avant le commit")

    monkeypatch.setattr("eig.notifications.services._outbox_mark_sent", crash)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        _remind(defi)
    monkeypatch.undo()

    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().state == "pending"

    swept = outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=5))

    message = OutboxMessage.objects.get()
    assert (swept, message.state, message.attempts) == (1, "sent", 1)
    assert [m.to for m in mail.outbox] == [[defi.owner.email]] * 2
    assert mail.outbox[0].subject == mail.outbox[1].subject
    assert Reminder.objects.count() == 1
    assert not _remind(defi)
    assert OutboxMessage.objects.count() == 1
