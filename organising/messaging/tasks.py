"""Celery tasks of messaging: each loads rows and calls a service; safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def email_unread_notifications(frequency: str = "immediate") -> int:
    """E-mail the members who chose `frequency` what they left unread."""
    return services.notification_emails_send(frequency=frequency)
