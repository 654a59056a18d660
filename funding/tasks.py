"""Celery tasks of conventions: thin, they take ids and call a service."""

from celery import shared_task

from funding import services


@shared_task(autoretry_for=(OSError,), retry_backoff=10, max_retries=5)
def render_convention_version(*, version_id: int) -> None:
    """Render a version's PDF; running it again changes nothing once rendered (see
    `convention_version_render`)."""
    from funding.pdf import convention_version_render

    convention_version_render(version_id=version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_convention_for_signature(*, version_id: int) -> None:
    """Mail the version's PDF to the signatory administration's agents, once."""
    services.convention_version_mail_for_signature(version_id=version_id)


@shared_task
def send_signature_reminders() -> int:
    """Beat: reminders for conventions waiting for a signature (each sent once)."""
    return services.convention_send_signature_reminders()
