"""Celery tasks of the agenda: each loads rows and calls a service (safe twice)."""

from celery import shared_task

from . import services


@shared_task(name="organising.agenda.tasks.reminders_send_task")
def reminders_send_task() -> int:
    """Remind everyone going to what starts in the next 24 hours, once each."""
    return services.reminders_send()


@shared_task(name="organising.agenda.tasks.event_changed_task")
def event_changed_task(
    event_id: int, fields: list[str], occurrence: str | None = None
) -> int:
    """Tell those who answered that the time, the place or the status changed."""
    return services.event_changed_send(
        event_id=event_id, fields=fields, occurrence=occurrence
    )
