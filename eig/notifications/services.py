"""Mail, the outbox and reminders.

Every mail of the platform is rendered once (from `templates/emails/<name>.txt`, whose first
line is the subject, or by allauth for account mails) and written to the outbox
(`OutboxMessage`) in the transaction of the change that causes it: the mail exists exactly
when the change does. Once that transaction commits, `outbox_send` is queued through
`eig.dispatch`, so that a broker down is logged and never fails the request. The task locks
the row, sends it over SMTP and marks it sent in the same transaction; SMTP and connection
errors are retried with exponential back-off, and after `OUTBOX_MAX_ATTEMPTS` the row is
marked failed with its error, for staff to resend from the admin. Every minute, beat's
`outbox_sweep` queues again the pending rows whose task never ran (broker down, worker lost).

What is guaranteed:
- a mail is written once, with the change that causes it, or not at all if that change
  rolls back;
- it is delivered at least once: a crash after the SMTP server accepted the mail and before
  the commit that marks it sent leaves the row pending, and the sweep sends it again. No mail
  is lost; in that rare case one is sent twice;
- a reminder (`reminder_send_once`) is one `Reminder` row and one outbox row per kind,
  object, recipient and due date, written together: the unique constraint on `Reminder` (and
  the outbox's idempotency key) make a second beat tick or a retried task write nothing.
"""

import datetime
import logging
import smtplib
import unicodedata

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.notifications.models import OutboxAttachment, OutboxMessage, Reminder

logger = logging.getLogger(__name__)

Attachments = list[tuple[str, bytes, str]]

# Back-off between attempts: 30 s, 1, 2, 4 min… capped below Redis' visibility timeout, so
# that a retry waiting in the queue is never delivered twice.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 480
ERROR_MAX_LENGTH = 2000


def one_line(text: str) -> str:
    """`text` with every line break and control character turned into a space: a header
    (the subject) must be one line, and SMTP refuses a CR or LF in one."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return " ".join(cleaned.split())


def email_render(*, template: str, context: dict) -> tuple[str, str]:
    """Return (subject, body) of `templates/emails/<template>.txt`."""
    context = {"SITE_URL": settings.SITE_URL, **context}
    text = render_to_string(f"emails/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return one_line(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject), body.strip() + "\n"


def email_send_now(
    *,
    to: list[str],
    subject: str,
    body: str,
    attachments: Attachments | None = None,
) -> None:
    message = EmailMessage(
        subject=one_line(subject), body=body, to=to, from_email=settings.DEFAULT_FROM_EMAIL
    )
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
    message.send()


def outbox_write(
    *,
    to: list[str],
    subject: str,
    body: str,
    template: str = "",
    attachments: Attachments | None = None,
    idempotency_key: str | None = None,
) -> OutboxMessage | None:
    """Write a rendered mail to the outbox in the current transaction; None when it has no
    recipient, or when a mail with the same `idempotency_key` was already written.

    Side effect: `outbox_send` is queued once the transaction commits.
    """
    from eig.notifications.tasks import outbox_send

    recipients = sorted({address for address in to if address})
    if not recipients:
        return None
    fields = {
        "recipients": recipients,
        "subject": one_line(subject),
        "body": body,
        "template": template,
        "idempotency_key": idempotency_key,
    }
    if idempotency_key:
        try:
            # A savepoint: the caller's transaction goes on when the mail already exists.
            with transaction.atomic():
                message = OutboxMessage.objects.create(**fields)
        except IntegrityError:
            logger.info("Mail %s déjà dans la boîte d'envoi", idempotency_key)
            return None
    else:
        message = OutboxMessage.objects.create(**fields)
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(message=message, filename=name, content=content, mimetype=mimetype)
        for name, content, mimetype in attachments or []
    )
    task_dispatch_on_commit(outbox_send, message_id=message.pk)
    return message


def email_queue(
    *,
    to: list[str],
    template: str,
    context: dict,
    attachments: Attachments | None = None,
    idempotency_key: str | None = None,
) -> OutboxMessage | None:
    """Render a mail now and write it to the outbox in the current transaction.

    Side effect: `outbox_send` is queued once the transaction commits (eager without a
    broker); see `outbox_write`.
    """
    if not any(to):
        return None
    subject, body = email_render(template=template, context=context)
    return outbox_write(
        to=to,
        subject=subject,
        body=body,
        template=template,
        attachments=attachments,
        idempotency_key=idempotency_key,
    )


def outbox_retry_delay(attempts: int) -> int:
    """Seconds to wait before the attempt after `attempts` failed ones."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def _is_transient(error: BaseException) -> bool:
    # A server that refuses the recipients or the text (5xx) will refuse them again; a
    # connection, a timeout or a 4xx may pass later. A refused login (535) is a setting to
    # fix, after which the mail should leave: it is retried too.
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(
        error, smtplib.SMTPAuthenticationError
    ):
        return not 500 <= error.smtp_code < 600
    return isinstance(error, OSError | SoftTimeLimitExceeded)


def _outbox_mark_sent(message: OutboxMessage, *, now) -> None:
    message.state = OutboxMessage.State.SENT
    message.sent_at = now
    message.last_error = ""
    message.save(update_fields=["state", "sent_at", "attempts", "last_error"])


def _outbox_record_failure(message: OutboxMessage, error: Exception, *, now) -> None:
    message.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    if _is_transient(error) and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        message.next_attempt_at = now + datetime.timedelta(
            seconds=outbox_retry_delay(message.attempts)
        )
        logger.warning("Envoi du mail #%s à réessayer : %s", message.pk, message.last_error)
    else:
        message.state = OutboxMessage.State.FAILED
        logger.error("Envoi du mail #%s en échec : %s", message.pk, message.last_error)
    message.save(update_fields=["state", "attempts", "last_error", "next_attempt_at"])


def outbox_deliver(*, message_id: int, now=None) -> OutboxMessage | None:
    """Send one pending outbox mail over SMTP and mark it sent, or record the failure.

    The row stays locked from before the send to the commit that marks it sent, so the task
    and the sweep never send it together; a row another worker holds, or one already sent or
    failed, is left alone (None). Returns the row, pending again when the error is worth a
    retry (see `outbox_retry_delay`), failed after the last attempt.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=OutboxMessage.State.PENDING)
            .first()
        )
        if message is None:
            return None
        now = now or timezone.now()
        attachments = [
            (attachment.filename, bytes(attachment.content), attachment.mimetype)
            for attachment in message.attachments.all()
        ]
        message.attempts += 1
        try:
            email_send_now(
                to=message.recipients,
                subject=message.subject,
                body=message.body,
                attachments=attachments,
            )
        except Exception as error:
            # Nothing left: the SMTP server did not take the mail, whatever the error.
            _outbox_record_failure(message, error, now=now)
        else:
            _outbox_mark_sent(message, now=now)
    return message


def outbox_sweep(*, now=None, limit: int = 500) -> int:
    """Beat: queue again the pending mails whose task never ran (broker down when they were
    written, worker lost) or whose retry is overdue. Returns how many were queued.

    A row is left alone until `OUTBOX_SWEEP_AFTER` seconds after its next attempt was due,
    so that a task on its way is not doubled; a row queued here waits as long again before
    the next sweep queues it once more.
    """
    from eig.notifications.tasks import outbox_send

    now = now or timezone.now()
    due = now - datetime.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=due)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for message_id in ids:
        task_dispatch(outbox_send, message_id=message_id)
    if ids:
        logger.info("Boîte d'envoi : %s mail(s) remis en file", len(ids))
    return len(ids)


@transaction.atomic
def outbox_resend(*, message_ids, now=None) -> list[tuple[OutboxMessage, str]]:
    """Put failed or pending mails back in the queue, with their attempts reset (staff, from
    the admin). Returns each row with what was reset, in French, for the admin's history.
    Sent mails are left alone.

    Side effect: `outbox_send` is queued for each once the transaction commits.
    """
    from eig.notifications.tasks import outbox_send

    now = now or timezone.now()
    reset = []
    messages = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        pk__in=list(message_ids),
        state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.FAILED],
    )
    for message in messages:
        summary = f"{message.get_state_display()}, {message.attempts} tentative(s)"
        if message.last_error:
            summary += f", dernière erreur : {message.last_error}"
        message.state = OutboxMessage.State.PENDING
        message.attempts = 0
        message.last_error = ""
        message.next_attempt_at = now
        message.save(update_fields=["state", "attempts", "last_error", "next_attempt_at"])
        task_dispatch_on_commit(outbox_send, message_id=message.pk)
        reset.append((message, summary))
    return reset


def reminder_send_once(
    *,
    kind: str,
    obj: models.Model,
    recipient,
    due_on: datetime.date,
    template: str,
    context: dict,
    attachments: Attachments | None = None,
) -> bool:
    """Mail `recipient` about `obj` unless this reminder was already written; True when
    written now.

    The `Reminder` row and the outbox mail are one unit, in one savepoint of the caller's
    transaction: the row is inserted first (the unique constraint makes a concurrent
    duplicate wait, then fail), then the mail, with an idempotency key made of the same
    fields. Delivery is the outbox's: at least once (see the module docstring).
    """
    object_type = obj._meta.label_lower
    try:
        with transaction.atomic():
            Reminder.objects.create(
                kind=kind,
                object_type=object_type,
                object_id=obj.pk,
                recipient=recipient,
                due_on=due_on,
            )
            email_queue(
                to=[recipient.email],
                template=template,
                context={**context, "recipient": recipient},
                attachments=attachments,
                idempotency_key=(
                    f"reminder:{kind}:{object_type}:{obj.pk}:{recipient.pk}:{due_on.isoformat()}"
                ),
            )
    except IntegrityError:
        logger.info(
            "Relance %s déjà envoyée à %s pour %s #%s", kind, recipient, object_type, obj.pk
        )
        return False
    return True
