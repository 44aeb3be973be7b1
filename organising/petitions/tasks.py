"""Celery tasks of petitions: each takes ids (or the address and source of a
withdrawal), loads rows and calls a service; safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def signature_mail_task(signature_id: int, token: str, kind: str) -> bool:
    return services.signature_mail_send(
        signature_id=signature_id, token=token, kind=kind
    )


@shared_task
def signature_to_contact_task(signature_id: int) -> bool:
    return services.signature_to_contact(signature_id=signature_id)


@shared_task
def consent_withdraw_task(email: str, source: str) -> bool:
    return services.consent_withdraw(email=email, source=source)
