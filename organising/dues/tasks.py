"""Celery jobs of the dues capability (scheduled by beat). Each one calls a service
that is safe to run twice, by two workers at once."""

from celery import shared_task

from .services import (
    charges_issue,
    debits_collect,
    reminders_send,
    treasurer_summaries_send,
)
from .services.imports import import_confirm_run, import_preview_run


@shared_task(name="organising.dues.tasks.charges_issue_task")
def charges_issue_task() -> int:
    """Call the current period's dues of every adherent not called yet."""
    return charges_issue()


@shared_task(name="organising.dues.tasks.reminders_send_task")
def reminders_send_task() -> int:
    """Remind late members, once per period each."""
    return reminders_send()


@shared_task(name="organising.dues.tasks.treasurer_summaries_task")
def treasurer_summaries_task() -> int:
    """Send each treasurer the monthly summary of their unit, once a month."""
    return treasurer_summaries_send()


@shared_task(name="organising.dues.tasks.debits_collect_task")
def debits_collect_task() -> int:
    """Record the direct debits whose collection date has come."""
    return debits_collect()


@shared_task(name="organising.dues.tasks.import_preview_task")
def import_preview_task(batch_id: int) -> None:
    """Preview a large import (its page shows the progress)."""
    import_preview_run(batch_id=batch_id)


@shared_task(name="organising.dues.tasks.import_confirm_task")
def import_confirm_task(batch_id: int) -> None:
    """Record a large import's ready lines."""
    import_confirm_run(batch_id=batch_id)
