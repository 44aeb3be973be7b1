"""Direct debit: mandates with a checked IBAN shown in full only to treasurers, a
pain.008 batch valid against its schema, returns recorded against the member."""

import os
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from django.core.exceptions import ValidationError
from django.utils import timezone

from organising.dues import periods as P
from organising.dues import selectors, services
from organising.dues.models import Debit, Kind, LedgerEntry, Mandate
from organising.dues.services.sepa import check_creditor_id

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
        collection_date=timezone.localdate() + timedelta(days=15),
        by=treasurer,
    )
    assert batch.count == 1 and batch.total_cents == 500
    # Validated on export already; checked here again against the XSD itself.
    xmlschema.XMLSchema(SCHEMA).validate(batch.xml)
    assert "Zoe Muller-Oeuf" in batch.xml and "<MndtId>" in batch.xml
    # Counted as paid from the collection date only.
    assert selectors.standing_for(member).balance_cents == -500
    assert services.debits_collect(on=batch.collection_date) == 1
    assert services.debits_collect(on=batch.collection_date) == 0
    assert selectors.standing_for(member).balance_cents == 0
    # The same period again: nobody left to collect.
    with pytest.raises(ValidationError):
        services.debit_batch_create(
            unit=tree.cell_a1x,
            period=this_month(),
            collection_date=timezone.localdate() + timedelta(days=15),
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
        collection_date=timezone.localdate() + timedelta(days=15),
        by=treasurer,
    )
    services.debits_collect(on=batch.collection_date)
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
        collection_date=timezone.localdate() + timedelta(days=15),
        by=treasurer,
    )
    assert again.count == 1
    assert again.debits.get().sequence_type == "FRST"


def test_batch_needs_the_creditor_settings(tree, schedule, treasurer, settings):
    settings.DUES_SEPA_CREDITOR_IBAN = ""
    settings.DUES_SEPA_CREDITOR_ID = ""
    with pytest.raises(ValidationError, match="not set up"):  # noqa: PT012
        services.debit_batch_create(
            unit=tree.cell_a1x,
            period=this_month(),
            collection_date=timezone.localdate() + timedelta(days=15),
            by=treasurer,
        )


# --- EPC rules the XSD does not catch (issue 17) -------------------------------

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
EPC_TEXT = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")


def in_days(n: int):
    return timezone.localdate() + timedelta(days=n)


def batch_for(unit, by, *, period=None, days=20):
    return services.debit_batch_create(
        unit=unit, period=period or this_month(), collection_date=in_days(days), by=by
    )


def check_epc_rules(xml: str) -> ET.Element:
    """What a bank checks beyond the schema: control sums and counts, the creditor
    identifier's check digits, the character set of every text."""
    xmlschema.XMLSchema(SCHEMA).validate(xml)
    root = ET.fromstring(xml)
    amounts = [Decimal(a.text) for a in root.iterfind(".//p:InstdAmt", NS)]
    header = root.find(".//p:GrpHdr", NS)
    assert int(header.find("p:NbOfTxs", NS).text) == len(amounts)
    assert Decimal(header.find("p:CtrlSum", NS).text) == sum(amounts)
    for info in root.iterfind(".//p:PmtInf", NS):
        own = [Decimal(a.text) for a in info.iterfind(".//p:InstdAmt", NS)]
        assert Decimal(info.find("p:CtrlSum", NS).text) == sum(own)
        assert int(info.find("p:NbOfTxs", NS).text) == len(own)
    for creditor_id in root.iterfind(".//p:CdtrSchmeId//p:Othr/p:Id", NS):
        assert check_creditor_id(creditor_id.text) == creditor_id.text
    for element in root.iter():
        if element.text and element.text.strip():
            assert EPC_TEXT.fullmatch(element.text.strip()), element.text
    return root


def sequences(xml: str) -> set[str]:
    return {e.text for e in ET.fromstring(xml).iterfind(".//p:SeqTp", NS)}


def test_names_are_transliterated_to_the_epc_character_set(
    tree, schedule, treasurer, member, creditor
):
    services.mandate_create(
        member=member, holder_name="Zoë Ñúñez-Łukasz & Ødette Mörvan-Ŝtraße", iban=IBAN
    )
    services.charges_issue()
    batch = batch_for(tree.cell_a1x, treasurer)
    check_epc_rules(batch.xml)
    assert "Zoe Nunez-Lukasz + Odette Morvan-Strasse" in batch.xml


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DUES_SEPA_CREDITOR_ID", "FR73ZZZ123456"),  # wrong check digits
        ("DUES_SEPA_CREDITOR_ID", "Association"),  # not an identifier
        ("DUES_SEPA_CREDITOR_ID", "US72ZZZ123456"),  # not a SEPA country
        ("DUES_SEPA_CREDITOR_IBAN", "FR7630004000031234567890144"),  # bad checksum
        ("DUES_SEPA_CREDITOR_IBAN", "US12345678901234567890"),
    ],
)
def test_wrong_creditor_settings_fail_the_system_check_and_the_export(
    tree, schedule, treasurer, member, creditor, settings, name, value
):
    from organising.dues.checks import sepa_creditor_check

    assert sepa_creditor_check() == []
    setattr(settings, name, value)
    errors = sepa_creditor_check()
    assert errors and errors[0].id == "dues.E001" and name in errors[0].msg
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    with pytest.raises(ValidationError, match=name):
        batch_for(tree.cell_a1x, treasurer)
    assert not Debit.objects.exists()


def test_sequence_types_follow_collection_dates_and_mandate_history(
    tree, schedule, treasurer, member, creditor
):
    from .conftest import make_late

    make_late(member, 1)  # last month and this month called
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    later = batch_for(tree.cell_a1x, treasurer, days=40)
    assert sequences(later.xml) == {"FRST"}
    # A collection planned before the first one would make that one wrong.
    with pytest.raises(ValidationError) as refusal:
        batch_for(tree.cell_a1x, treasurer, period=P.add_months(this_month(), -1))
    assert "collection_date" in refusal.value.message_dict
    after = batch_for(
        tree.cell_a1x, treasurer, period=P.add_months(this_month(), -1), days=60
    )
    assert sequences(after.xml) == {"RCUR"}
    check_epc_rules(after.xml)


def test_after_a_returned_first_collection_the_next_is_first_again(
    tree, schedule, treasurer, member, creditor
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    first = batch_for(tree.cell_a1x, treasurer)
    services.debit_return(debit=first.debits.get(), by=treasurer, reason="MD01")
    assert sequences(batch_for(tree.cell_a1x, treasurer, days=30).xml) == {"FRST"}


def test_members_are_told_of_each_debit_ahead(
    tree,
    schedule,
    treasurer,
    member,
    creditor,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    with pytest.raises(ValidationError) as refusal:
        batch_for(tree.cell_a1x, treasurer, days=13)
    assert "collection_date" in refusal.value.message_dict
    with pytest.raises(ValidationError):
        batch_for(tree.cell_a1x, treasurer, days=366)  # far in the future
    settings.DUES_SEPA_PRENOTIFICATION_DAYS = 5
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_for(tree.cell_a1x, treasurer, days=6)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [member.email]
    body = mail.subject + mail.body
    assert re.search(r"5[.,]00", body) and "FR72ZZZ123456" in body
    assert batch.debits.get().mandate.reference in body


def test_mandates_unused_for_36_months_expire(
    tree, schedule, treasurer, member, make_member, creditor
):
    old = services.mandate_create(member=member, holder_name="A", iban=IBAN)
    Mandate.objects.filter(pk=old.pk).update(
        signed_on=P.add_months(timezone.localdate(), -37)
    )
    other = make_member(tree.cell_a1x)
    services.mandate_create(member=other, holder_name="B", iban=IBAN)
    services.charges_issue()
    batch = batch_for(tree.cell_a1x, treasurer)
    assert [d.member_id for d in batch.debits.all()] == [other.pk]
    old.refresh_from_db()
    assert old.state == Mandate.State.EXPIRED


@pytest.mark.parametrize("order", ["reverse-then-return", "return-then-reverse"])
def test_a_corrected_debit_and_its_return_in_either_order(
    tree, schedule, treasurer, member, creditor, order
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    batch = batch_for(tree.cell_a1x, treasurer)
    services.debits_collect(on=batch.collection_date)
    debit = batch.debits.get()
    debit.refresh_from_db()
    if order == "reverse-then-return":
        services.entry_reverse(
            entry=debit.entry, by=treasurer, reason="typo", idempotency_key="r"
        )
        services.debit_return(debit=debit, by=treasurer, reason="AM04")
    else:
        services.debit_return(debit=debit, by=treasurer, reason="AM04")
        with pytest.raises(ValidationError, match="returned"):
            services.entry_reverse(
                entry=debit.entry, by=treasurer, reason="typo", idempotency_key="r"
            )
    debit.refresh_from_db()
    assert debit.state == Debit.State.RETURNED
    assert LedgerEntry.objects.filter(reverses=debit.entry).count() == 1
    assert selectors.standing_for(member).balance_cents == -500
    assert batch_for(tree.cell_a1x, treasurer, days=30).count == 1


def test_returning_a_corrected_debit_from_the_page_is_not_a_500(
    tree, schedule, treasurer, member, creditor, client_as
):
    from django.urls import reverse

    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    batch = batch_for(tree.cell_a1x, treasurer)
    services.debits_collect(on=batch.collection_date)
    debit = batch.debits.get()
    services.entry_reverse(
        entry=LedgerEntry.objects.get(pk=Debit.objects.get(pk=debit.pk).entry_id),
        by=treasurer,
        reason="typo",
        idempotency_key="r",
    )
    response = client_as(treasurer).post(
        reverse("dues:debit_return", args=[debit.pk]), {"code": "AM04"}
    )
    assert response.status_code == 302
    assert Debit.objects.get(pk=debit.pk).state == Debit.State.RETURNED
