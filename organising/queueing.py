"""Queueing Celery tasks without letting the broker take a request down.

A task is queued once the transaction commits (its rows are there for the worker).
A broker that does not answer fails the publish within about a second (settings:
CELERY_BROKER_*) instead of retrying for twenty and raising into the request; the
failure is logged with the task and its arguments, and `fallback` (when given) runs
instead: work that matters must also be findable again from the database (rows that
still need work, which beat or a command picks up), never live only in the queue.
"""

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, fallback: Callable[[], object] | None = None, **options):
    """`task.apply_async(args, **options)` now; on a broker error, log and run
    `fallback`. Returns the AsyncResult, or None when it could not be queued."""
    try:
        return task.apply_async(args, **options)
    except Exception:  # noqa: BLE001 - the broker down must not fail the caller
        logger.error(
            "Could not queue %s%r: broker unreachable", task.name, args, exc_info=True
        )
        if fallback is not None:
            fallback()
        return None


def enqueue_on_commit(task, *args, fallback=None, **options) -> None:
    """`enqueue` once the current transaction commits."""
    transaction.on_commit(
        lambda: enqueue(task, *args, fallback=fallback, **options), robust=True
    )
