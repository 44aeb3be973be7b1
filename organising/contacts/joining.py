"""A contact invited to join becomes a member: the link from its invitation to the
account it made, and a "joined" interaction in its history (which it keeps).

Kept apart from services.py so that members.services may call it without importing
the contacts' services (which themselves call members' invitation service)."""

from django.utils import timezone

from organising.audit.services import audit_record

from .models import Contact, Interaction


def contacts_joined(*, invitation, user) -> int:
    """Called when `invitation` is accepted by `user` (same transaction): every
    contact it was sent for now points to the account. Returns how many."""
    contacts = list(
        Contact.objects.filter(invitation_id=invitation.pk, member__isnull=True)
    )
    for contact in contacts:
        contact.member = user
        contact.save(update_fields=["member", "updated_at"])
        Interaction.objects.create(
            contact=contact, kind=Interaction.Kind.JOINED, at=timezone.now(), by=user
        )
        audit_record(
            actor=user, action="contact.joined", target=contact, unit=contact.unit
        )
    return len(contacts)
