"""The service the petitions app calls for each confirmed signer who agreed to be
contacted again, and the signer's withdrawal."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from organising.audit.models import AuditEntry
from organising.contacts.models import Consent, Contact, Interaction
from organising.contacts.services import (
    contact_from_signature,
    contact_withdraw_consent,
)

pytestmark = pytest.mark.django_db


def sign(unit, email="Marie.Dupont@Example.org", source="petition:abc", **extra):
    fields = {
        "unit": unit,
        "first_name": "Marie",
        "last_name": "Dupont",
        "email": email,
        "phone": "06 12 34 56 78",
        "commune": "Lyon",
        "postcode": "69001",
        "consent_source": source,
        "consent_covers": {"email"},
        "at": timezone.now(),
        "petition_title": "Sauvons la piscine",
    }
    fields.update(extra)
    return contact_from_signature(**fields)


def test_a_signer_becomes_a_contact_with_consent_and_interaction(tree):
    contact = sign(tree.cell_a1x)
    assert contact.unit == tree.cell_a1x
    assert contact.email == "marie.dupont@example.org"
    assert contact.phone == "+33612345678"
    assert contact.search_name == "marie dupont"
    consent = contact.consents.get()
    assert consent.source == "petition:abc"
    assert consent.covers == {"email"}
    interaction = contact.interactions.get()
    assert interaction.kind == Interaction.Kind.PETITION
    assert interaction.note == "Sauvons la piscine"


def test_the_same_email_in_the_unit_merges_and_keeps_both_consents(tree):
    first = sign(tree.cell_a1x, phone="", at=timezone.now() - timedelta(days=30))
    second = sign(
        tree.cell_a1x,
        email="marie.dupont@example.org",
        source="petition:def",
        petition_title="Pour le tram",
        consent_covers={"email", "phone"},
    )
    assert second.pk == first.pk
    assert Contact.objects.count() == 1
    second.refresh_from_db()
    assert second.phone == "+33612345678"  # a blank completed
    assert second.consents.count() == 2
    assert second.interactions.count() == 2


def test_the_same_email_in_another_unit_is_another_contact(tree):
    sign(tree.cell_a1x)
    sign(tree.cell_b1x)
    assert Contact.objects.count() == 2


def test_a_bad_phone_is_dropped_not_the_signer(tree):
    contact = sign(tree.cell_a1x, phone="12")
    assert contact.phone == ""


def test_bad_consent_kind_or_email_is_refused(tree):
    with pytest.raises(ValidationError) as error:
        sign(tree.cell_a1x, consent_covers={"post"})
    assert "consent_covers" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        sign(tree.cell_a1x, email="not-an-address")
    assert "email" in error.value.message_dict
    assert not Contact.objects.exists()


def test_withdrawing_the_only_consent_erases_the_contact(tree):
    contact = sign(tree.cell_a1x)
    assert (
        contact_withdraw_consent(
            email="MARIE.DUPONT@example.org", source="petition:abc"
        )
        == 1
    )
    assert not Contact.objects.exists()
    assert not Consent.objects.exists()
    assert not Interaction.objects.exists()
    erased = AuditEntry.objects.get(action="contact.erase")
    assert erased.target_id == str(contact.pk)
    assert "dupont" not in str(erased.data).lower()
    # Twice: nothing left to withdraw.
    assert (
        contact_withdraw_consent(
            email="marie.dupont@example.org", source="petition:abc"
        )
        == 0
    )


def test_withdrawing_one_consent_keeps_a_contact_with_another(tree):
    sign(tree.cell_a1x, source="petition:abc")
    sign(tree.cell_a1x, source="petition:def")
    contact_withdraw_consent(email="marie.dupont@example.org", source="petition:abc")
    contact = Contact.objects.get()
    assert contact.consents.filter(withdrawn_at__isnull=True).count() == 1
    assert contact.consents.get(source="petition:abc").withdrawn_at is not None
