"""Annual receipts: the sum paid in the year, numbered without gaps, the same receipt
on every download, a new number when the ledger changed."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from organising.dues import services
from organising.dues.models import Receipt
from organising.dues.services.receipts import receipt_lines

from .conftest import pay as record

LAST_YEAR = timezone.localdate().year - 1


def pay(member, by, key, amount, paid_on=date(LAST_YEAR, 6, 15)):
    """A transfer paid last year unless told."""
    return record(member, by, key, amount, paid_on=paid_on, method="transfer")


def test_receipt_sums_the_year_and_is_numbered_from_one(schedule, treasurer, member):
    pay(member, treasurer, "a", 1000)
    pay(member, treasurer, "b", 2050, paid_on=date(LAST_YEAR, 12, 31))
    pay(member, treasurer, "c", 999, paid_on=date(LAST_YEAR + 1, 1, 1))  # the next year
    receipt = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    assert receipt.amount_cents == 3050
    assert receipt.number == 1 and receipt.label == f"{LAST_YEAR}-000001"
    content = receipt_lines(receipt)
    assert member.display_name in content["member"]
    assert content["amount"] == "30,50 EUR"
    pdf = services.receipt_pdf(receipt)
    assert pdf.startswith(b"%PDF") and receipt.label.encode() in pdf
    assert b"30,50 EUR" in pdf
    # Downloading again gives the same receipt.
    assert (
        services.receipt_issue(member=member, year=LAST_YEAR, by=member).pk
        == receipt.pk
    )


def test_numbers_follow_each_other_without_gaps_across_members(
    tree, schedule, treasurer, make_member
):
    members = [make_member(tree.cell_a1x) for _ in range(4)]
    for index, m in enumerate(members):
        pay(m, treasurer, f"k{index}", 1000 + index)
    numbers = [
        services.receipt_issue(member=m, year=LAST_YEAR, by=m).number for m in members
    ]
    assert numbers == [1, 2, 3, 4]


def test_correction_cancels_the_receipt_and_a_new_number_replaces_it(
    schedule, treasurer, member
):
    entry = pay(member, treasurer, "a", 1000).entry
    pay(member, treasurer, "b", 500)
    first = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    services.entry_reverse(
        entry=entry, by=treasurer, reason="bounced", idempotency_key="r"
    )
    second = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    first.refresh_from_db()
    assert first.cancelled_at is not None
    assert (second.number, second.amount_cents) == (2, 500)
    assert b"CANCELLED" in services.receipt_pdf(first)


def test_no_receipt_for_the_current_year_or_nothing_paid(schedule, treasurer, member):
    with pytest.raises(ValidationError):
        services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    pay(member, treasurer, "a", 1000, paid_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.receipt_issue(member=member, year=timezone.localdate().year, by=member)
    assert not Receipt.objects.exists()


def test_bulk_receipts_for_a_unit(
    tree, schedule, section_treasurer, treasurer, make_member
):
    inside = [make_member(tree.cell_a1x, display_name=f"Membre {i}") for i in range(3)]
    for index, m in enumerate(inside):
        pay(m, treasurer, f"k{index}", 1000)
    receipts = services.receipts_issue_for_unit(
        unit=tree.section_a1, year=LAST_YEAR, by=section_treasurer
    )
    assert [r.number for r in receipts] == [1, 2, 3]
    archive = services.receipts_zip(receipts)
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert names == [f"recu-{r.label}.pdf" for r in receipts]
    # Issued again: the same receipts, no new number.
    again = services.receipts_issue_for_unit(
        unit=tree.section_a1, year=LAST_YEAR, by=section_treasurer
    )
    assert [r.pk for r in again] == [r.pk for r in receipts]
    with pytest.raises(PermissionDenied):
        services.receipts_issue_for_unit(
            unit=tree.section_a1, year=LAST_YEAR, by=treasurer
        )


def test_another_member_cannot_have_my_receipt(
    tree, schedule, treasurer, member, make_member
):
    pay(member, treasurer, "a", 1000)
    stranger = make_member(tree.cell_a2x)
    with pytest.raises(PermissionDenied):
        services.receipt_issue(member=member, year=LAST_YEAR, by=stranger)
