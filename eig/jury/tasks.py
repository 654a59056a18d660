"""Celery tasks of the jury engine: thin, they call a service."""

from celery import shared_task
from django.utils.module_loading import import_string

from eig.jury.registry import domains
from eig.notifications.services import email_send_now
from eig.pdf import PDF_RENDER_TASK_OPTIONS


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300, max_retries=5)
def send_email_with_calendar(
    *, to: list[str], subject: str, body: str, filename: str, calendar: str
) -> None:
    # Kept for the convocations queued before the outbox existed, so that a deployment
    # drains them; convocations now go through the outbox with their .ics attached.
    email_send_now(
        to=to,
        subject=subject,
        body=body,
        attachments=[(filename, calendar.encode(), "text/calendar")],
    )


@shared_task(**PDF_RENDER_TASK_OPTIONS)
def render_decision_record(*, record_id: int, domain: str) -> None:
    """Render a decision record's PDF; running it again for the same record changes
    nothing (see `decision_record_render`)."""
    from eig.jury.pdf import decision_record_render

    decision_record_render(domain=import_string(domain), record_id=record_id)


@shared_task
def send_scoring_reminders() -> int:
    """Beat: J-3 and J-1 reminders to jurors with evaluations left, in the juries of every
    registered domain (each reminder sent once)."""
    from eig.jury.services import jury_send_scoring_reminders

    return sum(jury_send_scoring_reminders(domain=domain) for domain in domains())


@shared_task
def send_hearing_reminders() -> int:
    """Beat, hourly: the day-before reminder of each convoked or booked dossier of every
    registered domain (each sent once, so a tick that fires twice or a retry sends nothing
    more)."""
    from eig.jury.hearings import hearing_send_reminders

    return sum(hearing_send_reminders(domain=domain) for domain in domains())


@shared_task
def requeue_decision_records() -> int:
    """Beat: render again the decision records of every domain's juries left without their
    PDF."""
    from eig.jury.decisions import decision_records_requeue_unrendered

    return sum(decision_records_requeue_unrendered(domain=domain) for domain in domains())
