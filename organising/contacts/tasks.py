"""Celery jobs of the contacts: a large import's preview and application."""

from celery import shared_task

from .imports import import_run


@shared_task(name="organising.contacts.tasks.import_run_task")
def import_run_task(batch_id: int) -> None:
    """Preview or apply the queued import (safe twice)."""
    import_run(batch_id=batch_id)
