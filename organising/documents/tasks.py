"""Celery tasks of documents: each loads rows and calls a service (safe twice)."""

from celery import shared_task

from . import services


@shared_task(name="organising.documents.tasks.document_index_task")
def document_index_task(document_id: int) -> None:
    """Refresh a document's full-text vector (PostgreSQL) after a save."""
    services.document_index(document_id=document_id)
