"""Queueing Celery tasks from services without ever failing the request.

A service changes the database, then asks for work that can wait (a mail, a PDF). The work
is queued once the transaction commits, and a broker that is down or slow must not turn a
change already saved into an error page: the publish is given a short timeout (see the
CELERY_BROKER_* settings), its failure is logged, and a beat sweep finds the work left
undone in the database (`outbox_sweep`, the renders' requeue tasks) and queues it again.
"""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def task_dispatch(task, /, **kwargs) -> bool:
    """Queue `task(**kwargs)`; False when the broker refused it (logged as a warning).

    Without a broker (eager mode) the task runs here and its errors propagate as they would
    in a worker's log, so that tests and a developer's machine see them.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(kwargs=kwargs)
        return True
    try:
        task.apply_async(kwargs=kwargs)
    except Exception:
        # Whatever the broker raised (refused, timed out, lost the connection), the work is
        # recorded in the database and a sweep queues it again.
        logger.warning(
            "Courtier Celery injoignable : %s(%s) sera repris par le balayage.",
            task.name,
            kwargs,
            exc_info=True,
        )
        return False
    return True


def task_dispatch_on_commit(task, /, **kwargs) -> None:
    """Queue `task(**kwargs)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(task_dispatch, task, **kwargs))
