from celery import shared_task

from eig.notifications.services import email_send_now


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_email(*, to: list[str], subject: str, body: str) -> None:
    # The mail is rendered before queueing, so a retry resends exactly the same text; it is
    # retried only when the SMTP connection failed, that is when nothing was sent.
    email_send_now(to=to, subject=subject, body=body)
