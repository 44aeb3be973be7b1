"""Direct debit: mandates with a checked IBAN shown in full only to treasurers, a
pain.008 batch valid against its schema, returns recorded against the member."""

import os
from datetime import timedelta

import pytest
import sepaxml
import xmlschema
from django.core.exceptions import ValidationError
from django.utils import timezone

from organising.dues import selectors, services
from organising.dues.models import Debit, Kind, LedgerEntry, Mandate

from .conftest import IBAN, pay, this_month

SCHEMA = os.path.join(
    os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.08.xsd"
)


def test_mandate_keeps_a_valid_iban_and_masks_it(schedule, member):
    mandate = services.mandate_create(
        member=member, holder_name="Zoë Müller", iban=IBAN
    )
    assert mandate.iban == "FR7630006000011234567890189"
    assert mandate.masked_iban.replace(" ", "") == "FR" + "*" * 21 + "0189"
    assert "3000 6000" not in mandate.masked_iban
    assert mandate.bic  # found from the bank code


@pytest.mark.parametrize(
    "iban",
    ["FR76 3000 6000 0112 3456 7890 188", "XX00 1234", "", "US12345678901234567890"],
)
def test_invalid_iban_is_refused(schedule, member, iban):
    with pytest.raises(ValidationError) as error:
        services.mandate_create(member=member, holder_name="A", iban=iban)
    assert "iban" in error.value.message_dict
    assert not Mandate.objects.exists()


def test_new_mandate_replaces_the_active_one(schedule, member):
    first = services.mandate_create(member=member, holder_name="A", iban=IBAN)
    second = services.mandate_create(member=member, holder_name="A", iban=IBAN)
    first.refresh_from_db()
    assert first.state == Mandate.State.REVOKED and second.state == Mandate.State.ACTIVE
    assert first.reference != second.reference


def test_batch_collects_what_is_owed_and_validates_against_the_schema(
    tree, schedule, treasurer, member, make_member, creditor
):
    services.mandate_create(member=member, holder_name="Zoë Müller-Œuf", iban=IBAN)
    paid_up = make_member(tree.cell_a1x)
    services.mandate_create(member=paid_up, holder_name="B", iban=IBAN)
    services.charges_issue()
    pay(paid_up, treasurer, "k", 500)
    batch = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=timezone.localdate() + timedelta(days=5),
        by=treasurer,
    )
    assert batch.count == 1 and batch.total_cents == 500
    # Validated on export already; checked here again against the XSD itself.
    xmlschema.XMLSchema(SCHEMA).validate(batch.xml)
    assert "Zoe Muller" in batch.xml and "<MndtId>" in batch.xml
    assert selectors.standing_for(member).balance_cents == 0
    # The same period again: nobody left to collect.
    with pytest.raises(ValidationError):
        services.debit_batch_create(
            unit=tree.cell_a1x,
            period=this_month(),
            collection_date=timezone.localdate() + timedelta(days=5),
            by=treasurer,
        )


def test_returned_debit_is_reversed_against_the_member(
    tree, schedule, treasurer, member, creditor
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    batch = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=timezone.localdate() + timedelta(days=3),
        by=treasurer,
    )
    debit = batch.debits.get()
    services.debit_return(debit=debit, by=treasurer, reason="AM04 insufficient funds")
    services.debit_return(debit=debit, by=treasurer, reason="AM04 insufficient funds")
    debit.refresh_from_db()
    assert debit.state == Debit.State.RETURNED
    assert LedgerEntry.objects.filter(kind=Kind.RETURN, member=member).count() == 1
    assert selectors.standing_for(member).balance_cents == -500
    # Collected again in a new batch after the return.
    again = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=timezone.localdate() + timedelta(days=3),
        by=treasurer,
    )
    assert again.count == 1
    assert again.debits.get().sequence_type == "FRST"


def test_batch_needs_the_creditor_settings(tree, schedule, treasurer, settings):
    settings.DUES_SEPA_CREDITOR_IBAN = ""
    settings.DUES_SEPA_CREDITOR_ID = ""
    with pytest.raises(ValidationError, match="not set up"):
        services.debit_batch_create(
            unit=tree.cell_a1x,
            period=this_month(),
            collection_date=timezone.localdate() + timedelta(days=3),
            by=treasurer,
        )
