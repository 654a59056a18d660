from celery import shared_task

from projects import services


@shared_task
def send_draft_reminders() -> int:
    """Beat: J-7 and J-1 reminders to the editors of draft défis (each sent once)."""
    return services.defi_send_draft_reminders()
