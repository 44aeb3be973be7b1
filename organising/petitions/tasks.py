"""Celery tasks of petitions: the signer's e-mail, sent once the signature is stored
(a task takes ids and the link's secret, loads the row and calls a service)."""

from celery import shared_task

from . import services


@shared_task
def signature_mail_task(signature_id: int, token: str, kind: str) -> bool:
    return services.signature_mail_send(
        signature_id=signature_id, token=token, kind=kind
    )


@shared_task
def signatures_purge_task() -> int:
    return services.signatures_purge_expired()
