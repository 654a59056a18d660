"""Mail and reminders.

Every mail of the platform is rendered from `templates/emails/<name>.txt` (first line is the
subject) and goes out through a Celery task, after the transaction that caused it commits.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string

from eig.notifications.models import Reminder

logger = logging.getLogger(__name__)


def email_render(*, template: str, context: dict) -> tuple[str, str]:
    """Return (subject, body) of `templates/emails/<template>.txt`."""
    context = {"SITE_URL": settings.SITE_URL, **context}
    text = render_to_string(f"emails/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject.strip(), body.strip() + "\n"


def email_send_now(
    *,
    to: list[str],
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    message = EmailMessage(
        subject=subject, body=body, to=to, from_email=settings.DEFAULT_FROM_EMAIL
    )
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
    message.send()


def email_queue(*, to: list[str], template: str, context: dict) -> None:
    """Render a mail now and send it from a Celery task once the current transaction commits.

    Side effect: one `send_email` task per call (eager without a broker).
    """
    from eig.notifications.tasks import send_email

    subject, body = email_render(template=template, context=context)
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    transaction.on_commit(lambda: send_email.delay(to=recipients, subject=subject, body=body))


def reminder_send_once(
    *,
    kind: str,
    obj: models.Model,
    recipient,
    due_on: datetime.date,
    template: str,
    context: dict,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bool:
    """Mail `recipient` about `obj` unless this reminder was already sent; True when sent.

    The Reminder row and the mail are one unit: the row is inserted first (the unique
    constraint makes a concurrent duplicate wait, then fail), the mail is sent synchronously,
    and only then does the transaction commit. If the mail fails, the row is rolled back and a
    later tick tries again.
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
            subject, body = email_render(
                template=template, context={**context, "recipient": recipient}
            )
            email_send_now(
                to=[recipient.email], subject=subject, body=body, attachments=attachments
            )
    except IntegrityError:
        logger.info(
            "Relance %s déjà envoyée à %s pour %s #%s", kind, recipient, object_type, obj.pk
        )
        return False
    return True
