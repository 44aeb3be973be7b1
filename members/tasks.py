"""Background jobs about people (Celery beat)."""

from celery import shared_task

from . import joining


@shared_task
def join_reminders_task() -> int:
    """Remind officers of join requests waiting for a few days (once per request)."""
    return joining.applications_remind()
