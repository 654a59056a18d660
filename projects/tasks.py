from celery import shared_task

from eig.jury.decisions import decision_records_requeue_unrendered
from eig.jury.services import jury_send_scoring_reminders
from projects import services
from projects.jury import DEFI_JURY


@shared_task
def send_draft_reminders() -> int:
    """Beat: J-7 and J-1 reminders to the editors of draft défis (each sent once)."""
    return services.defi_send_draft_reminders()


@shared_task
def send_scoring_reminders() -> int:
    """Beat: J-3 and J-1 reminders to jurors with défi evaluations left (each sent once)."""
    return jury_send_scoring_reminders(domain=DEFI_JURY)


@shared_task
def requeue_decision_records() -> int:
    """Beat: render again the défi juries' decision records left without their PDF."""
    return decision_records_requeue_unrendered(domain=DEFI_JURY)
