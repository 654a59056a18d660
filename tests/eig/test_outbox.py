import datetime
import smtplib
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from eig.accounts.models import User
from eig.accounts.services import user_two_factor_set
from eig.notifications.models import OutboxMessage
from eig.notifications.services import (
    email_queue,
    email_render,
    one_line,
    outbox_deliver,
    outbox_sweep,
)
from projects.models import Defi
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    AgentFactory,
    DefiFactory,
    StaffFactory,
    UserFactory,
    fill_defi,
)

pytestmark = pytest.mark.django_db

Pending, Sent, Failed = OutboxMessage.State


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that cannot be reached (the edge of the system)."""

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class RejectingBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient for good."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@exemple.fr": (550, b"No such user")})


def _later(minutes=5):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def _queue(**kwargs):
    defi = DefiFactory()
    return email_queue(
        to=[defi.owner.email],
        template="defi_submitted",
        context={"defi": defi, "call": defi.call},
        **kwargs,
    )


# --- Writing and sending ------------------------------------------------------------------


def test_email_queue_writes_in_the_callers_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _queue()
                raise RuntimeError("le changement échoue")
        except RuntimeError:
            pass
    assert (OutboxMessage.objects.count(), mail.outbox) == (0, [])

    with django_capture_on_commit_callbacks(execute=True):
        message = _queue(attachments=[("audition.ics", b"BEGIN:VCALENDAR", "text/calendar")])

    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at is not None) == (Sent, 1, True)
    assert mail.outbox[0].to == message.recipients
    assert mail.outbox[0].attachments == [("audition.ics", "BEGIN:VCALENDAR", "text/calendar")]


def test_email_queue_with_an_idempotency_key_writes_once():
    first = _queue(idempotency_key="essai-1")
    second = _queue(idempotency_key="essai-1")

    assert (first is not None, second) == (True, None)
    assert OutboxMessage.objects.count() == 1


def test_subject_with_line_breaks_is_one_line():
    defi = DefiFactory(title="Titre\rpiégé\u2028sur\x0bplusieurs lignes")

    subject, body = email_render(
        template="defi_submitted", context={"defi": defi, "call": defi.call}
    )

    assert subject == "[EIG] Votre défi « Titre piégé sur plusieurs lignes » est déposé"
    assert one_line(" a\r\n\tb\x00\x0b c ") == "a b c"


def test_defi_with_a_carriage_return_in_its_title_is_submitted_and_mailed(
    client, django_capture_on_commit_callbacks
):
    # A title with a CR made the subject two lines: Django refused the header and the
    # submission answered 500.
    defi = fill_defi(DefiFactory(title="Signal\rconso"))
    client.force_login(defi.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:defi_action", args=[defi.pk, "submit"]))

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.state == Defi.State.SUBMITTED
    assert mail.outbox[0].subject == "[EIG] Votre défi « Signal conso » est déposé"


def test_failed_smtp_is_retried_then_failed_with_the_error(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.eig.test_outbox.RefusingBackend"

    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()

    message.refresh_from_db()
    assert (message.state, message.attempts) == (Failed, settings.OUTBOX_MAX_ATTEMPTS)
    assert message.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert outbox_sweep(now=_later(60)) == 0


def test_failed_attempt_waits_its_back_off(settings):
    settings.EMAIL_BACKEND = "tests.eig.test_outbox.RefusingBackend"
    message = _queue()
    now = timezone.now()

    outbox_deliver(message_id=message.pk, now=now)
    outbox_deliver(message_id=message.pk, now=now)

    message.refresh_from_db()
    assert (message.state, message.attempts) == (Pending, 2)
    assert message.next_attempt_at == now + datetime.timedelta(seconds=60)
    # The sweep leaves it to the task's own retry, then takes over if that never ran.
    assert outbox_sweep(now=now + datetime.timedelta(seconds=90)) == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_sweep(now=now + datetime.timedelta(seconds=60 + 121)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, len(mail.outbox)) == (Sent, 3, 1)


def test_recipient_refused_for_good_fails_at_once(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.eig.test_outbox.RejectingBackend"

    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()

    message.refresh_from_db()
    assert (message.state, message.attempts) == (Failed, 1)
    assert message.last_error.startswith("SMTPRecipientsRefused")


def test_sweep_leaves_fresh_and_sent_mails_alone():
    fresh = _queue()
    sent = _queue()
    OutboxMessage.objects.filter(pk=sent.pk).update(
        state=Sent, next_attempt_at=_later(-60), sent_at=timezone.now()
    )

    assert outbox_sweep() == 0
    assert outbox_sweep(now=_later()) == 1
    fresh.refresh_from_db()
    assert fresh.state == Sent
    assert len(mail.outbox) == 1


# --- Broker down ----------------------------------------------------------------------------


def _sweep_after_the_broker_returns(broker_down):
    assert mail.outbox == []
    broker_down.returns()
    return outbox_sweep(now=_later())


def test_broker_down_dispatch_fails_fast_and_quietly(broker_down):
    from eig.dispatch import task_dispatch
    from eig.notifications.tasks import outbox_send

    started = time.monotonic()
    queued = task_dispatch(outbox_send, message_id=0)

    # The publish retries of the settings, not kombu's defaults (100 connection retries).
    assert (queued, time.monotonic() - started < 5) == (False, True)


def test_broker_down_defi_submit_answers_the_normal_page(
    client, broker_down, django_capture_on_commit_callbacks, caplog
):
    defi = fill_defi(DefiFactory())
    client.force_login(defi.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:defi_action", args=[defi.pk, "submit"]))

    assert response.url == reverse("projects:defi_detail", args=[defi.pk])
    assert "Courtier Celery injoignable" in caplog.text
    defi.refresh_from_db()
    assert defi.state == Defi.State.SUBMITTED
    assert OutboxMessage.objects.get().state == Pending
    assert _sweep_after_the_broker_returns(broker_down) == 1
    assert mail.outbox[0].to == [defi.owner.email]
    assert OutboxMessage.objects.get().state == Sent


def test_broker_down_invitation_answers_the_normal_page(
    client, broker_down, django_capture_on_commit_callbacks
):
    defi = DefiFactory()
    client.force_login(defi.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("projects:defi_invite", args=[defi.pk]), {"email": "neo@exemple.gouv.fr"}
        )

    assert response.status_code == 302
    invitation = defi.invitations.get()
    assert OutboxMessage.objects.get().recipients == ["neo@exemple.gouv.fr"]
    assert _sweep_after_the_broker_returns(broker_down) == 1
    assert invitation.token in mail.outbox[0].body


def test_broker_down_signup_answers_the_normal_page(
    client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "first_name": "Inès",
                "last_name": "Durand",
                "email": "ines.durand@culture.gouv.fr",
                "role": "agent",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email="ines.durand@culture.gouv.fr").exists()
    assert OutboxMessage.objects.get().state == Pending
    assert _sweep_after_the_broker_returns(broker_down) == 1
    assert "/comptes/confirm-email/" in mail.outbox[0].body


def test_broker_down_password_reset_answers_the_normal_page(
    client, broker_down, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.url == reverse("account_reset_password_done")
    assert OutboxMessage.objects.get().recipients == [user.email]
    assert _sweep_after_the_broker_returns(broker_down) == 1
    assert mail.outbox[0].to == [user.email]


# --- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def test_admin_outbox_lists_filters_and_searches(client, staff, django_assert_num_queries):
    failed = _queue()
    OutboxMessage.objects.filter(pk=failed.pk).update(
        state=Failed, attempts=5, last_error="SMTPServerDisconnected: perdu"
    )
    url = reverse("admin:notifications_outboxmessage_changelist")

    # The user, the paginator's count and the changelist's total, the rows, the site's DSFR
    # settings twice, the date hierarchy (range, then days) and the templates to filter by.
    with django_assert_num_queries(9):
        page = client.get(url, {"state__exact": "failed"}).content.decode()
    for _ in range(2):
        _queue()
    with django_assert_num_queries(9):
        client.get(url)

    assert "SMTPServerDisconnected: perdu" in page
    found = client.get(url, {"q": failed.recipients[0]})
    assert list(found.context["cl"].result_list) == [failed]
    change = client.get(reverse("admin:notifications_outboxmessage_change", args=[failed.pk]))
    assert change.status_code == 200
    assert 'name="subject"' not in change.content.decode()


def test_admin_resend_puts_failed_mails_back_with_attempts_reset(
    client, staff, django_capture_on_commit_callbacks
):
    failed = _queue()
    OutboxMessage.objects.filter(pk=failed.pk).update(
        state=Failed, attempts=5, last_error="SMTPServerDisconnected: perdu"
    )
    sent = _queue()
    OutboxMessage.objects.filter(pk=sent.pk).update(state=Sent, sent_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notifications_outboxmessage_changelist"),
            {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == (Sent, 1, "")
    assert [m.to for m in mail.outbox] == [failed.recipients]
    log = LogEntry.objects.get(object_id=str(failed.pk))
    assert log.user == staff
    assert "5 tentative(s), dernière erreur : SMTPServerDisconnected" in log.change_message
    content = response.content.decode()
    assert "1 mail(s) remis en file" in content
    assert "1 mail(s) ignoré(s)" in content


def test_admin_resend_is_offered_only_with_the_permission(client):
    colleague = AgentFactory(is_staff=True)
    # Enrolled, as every user who reaches the admin must be.
    user_two_factor_set(user=colleague, totp_secret=TOTP_SECRET)
    client.force_login(colleague)
    _queue()

    response = client.get(reverse("admin:notifications_outboxmessage_changelist"))

    assert response.status_code == 403
