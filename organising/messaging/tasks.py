"""Celery tasks of messaging: each loads rows and calls a service; safe to run twice."""

from celery import shared_task

from . import pagecache, services


@shared_task
def email_unread_notifications(frequency: str = "immediate") -> int:
    """E-mail the members who chose `frequency` what they left unread."""
    return services.notification_emails_send(frequency=frequency)


@shared_task
def stamp_post_sources(post_id: int) -> None:
    """The end of a storm of reactions: stored pages showing the post are built again
    (`pagecache.reaction_changed`)."""
    pagecache.stamp_sources(post_id)
