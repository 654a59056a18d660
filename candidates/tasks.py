"""Celery tasks of the candidates: thin, they call a service."""

from celery import shared_task


@shared_task
def retention_apply() -> dict:
    """Beat, daily: erase the candidates' data whose retention ended, ask the re-consents
    that are due, and record the pass (`retention.retention_run`); running it again does
    nothing more."""
    from candidates.retention import retention_run

    run = retention_run()
    return {
        "purged_selection": run.purged_selection,
        "purged_pool": run.purged_pool,
        "reconsent_asked": run.reconsent_asked,
    }
