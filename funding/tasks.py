"""Celery tasks of conventions: thin, they take ids and call a service."""

from celery import shared_task

from eig.pdf import PDF_RENDER_TASK_OPTIONS
from funding.services import reminders, versions


@shared_task(**PDF_RENDER_TASK_OPTIONS)
def render_convention_version(*, version_id: int) -> None:
    """Render a version's PDF; running it again changes nothing once rendered (see
    `convention_version_render`)."""
    from funding.pdf import convention_version_render

    convention_version_render(version_id=version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300, max_retries=5)
def send_convention_for_signature(*, version_id: int) -> None:
    """Mail the version's PDF to the signatory administration's agents, once. Kept for the
    tasks queued before `convention_version_send` wrote these mails itself."""
    reminders.convention_version_mail_for_signature(version_id=version_id)


@shared_task
def send_signature_reminders() -> int:
    """Beat: reminders for conventions waiting for a signature (each sent once)."""
    return reminders.convention_send_signature_reminders()


@shared_task
def requeue_unrendered_versions() -> int:
    """Beat: render again the versions left without their PDF."""
    return versions.convention_versions_requeue_unrendered()
