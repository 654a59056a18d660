"""Celery tasks of the outbox: thin, they take ids and call a service."""

from celery import shared_task

from eig.notifications.models import OutboxMessage
from eig.notifications.services import (
    email_send_now,
    outbox_deliver,
    outbox_retry_delay,
    outbox_sweep,
)


# The limits leave room for an SMTP exchange of a few commands, each bounded by
# EMAIL_TIMEOUT; the number of attempts is the outbox's own (OUTBOX_MAX_ATTEMPTS), not
# Celery's.
@shared_task(bind=True, max_retries=None, soft_time_limit=90, time_limit=120)
def outbox_send(self, *, message_id: int) -> str:
    """Send one outbox mail; retried with back-off while the error is worth it."""
    message = outbox_deliver(message_id=message_id)
    pending = OutboxMessage.State.PENDING
    while self.request.is_eager and message is not None and message.state == pending:
        # Without a broker the attempts follow one another at once, as Celery's own eager
        # retries do (which would raise here, with eager errors propagated).
        message = outbox_deliver(message_id=message_id)
    if message is None:
        return "skipped"
    if message.state == OutboxMessage.State.PENDING:
        raise self.retry(countdown=outbox_retry_delay(message.attempts))
    return message.state


@shared_task
def sweep_outbox() -> int:
    """Beat: queue again the mails left pending (see `outbox_sweep`)."""
    return outbox_sweep()


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300, max_retries=5)
def send_email(*, to: list[str], subject: str, body: str) -> None:
    # Kept for the messages queued before the outbox existed, so that a deployment drains
    # them; nothing queues it any more.
    email_send_now(to=to, subject=subject, body=body)
