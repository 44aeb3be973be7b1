"""Annual receipts: the sum paid in the year, numbered without gaps, the same receipt
on every download, a new number when the ledger changed."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from members.models import Membership
from organising.dues import services
from organising.dues.models import LedgerEntry, PostalAddress, Receipt
from organising.dues.services.receipts import receipt_lines

from .conftest import pay as record

LAST_YEAR = timezone.localdate().year - 1


def pdf_text(pdf: bytes) -> str:
    """The text a PDF reader extracts (the font is embedded: letters are glyph
    numbers in the file)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


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
    assert "30,50 EUR" in pdf_text(pdf)
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
    assert "CANCELLED" in pdf_text(services.receipt_pdf(first))


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


# --- What a lawful receipt says (issue 17) -----------------------------------


def test_receipt_states_words_address_payments_issuer_and_the_law(
    schedule, treasurer, member
):
    pay(member, treasurer, "a", 1000, paid_on=date(LAST_YEAR, 3, 2))
    record(
        member,
        treasurer,
        "b",
        2050,
        paid_on=date(LAST_YEAR, 9, 20),
        method="cheque",
        cheque_number="1234567",
    )
    receipt = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    text = pdf_text(services.receipt_pdf(receipt))
    assert "trente euros et cinquante centimes" in text
    assert "3 place du Marché 69001 Lyon" in text
    assert "10 rue de la Paix 75002 Paris" in text
    content = receipt_lines(receipt)
    assert len(content["payments"]) == 2
    assert "bank transfer" in content["payments"][0]
    assert "10,00 EUR" in content["payments"][0]
    assert "cheque" in content["payments"][1] and "20,50 EUR" in content["payments"][1]
    legal = " ".join(content["legal"])
    assert "article 200" in legal and "66 %" in legal and "20 %" in legal
    assert "15,000" in legal and "7,500" in legal and "11-4" in legal


@pytest.mark.parametrize("cents", [100, 150, 1, 750_000, 2000])
def test_amount_in_words(cents):
    from organising.dues.services.receipts import amount_in_words

    expected = {
        100: "un euro",
        150: "un euro et cinquante centimes",
        1: "zéro euro et un centime",
        750_000: "sept mille cinq cents euros",
        2000: "vingt euros",
    }
    assert amount_in_words(cents) == expected[cents]


@pytest.mark.parametrize(
    "missing", ["DUES_RECEIPT_ISSUER", "DUES_RECEIPT_ISSUER_ADDRESS"]
)
def test_no_receipt_without_the_issuers_name_and_address(
    settings, schedule, treasurer, member, missing
):
    pay(member, treasurer, "a", 1000)
    setattr(settings, missing, "")
    with pytest.raises(ValidationError, match="issuer"):
        services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    assert not Receipt.objects.exists()


def test_no_receipt_without_the_members_postal_address(schedule, treasurer, member):
    pay(member, treasurer, "a", 1000)
    PostalAddress.objects.filter(member=member).delete()
    with pytest.raises(ValidationError, match="postal address"):
        services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    services.postal_address_set(member=member, lines="5 rue Neuve\n33000 Bordeaux")
    receipt = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    assert receipt.member_address == "5 rue Neuve\n33000 Bordeaux"


def test_a_name_in_any_alphabet_prints_in_full(schedule, treasurer, tree, make_member):
    member = make_member(tree.cell_a1x, display_name="Łukasz Żółć-Ŝtraße")
    pay(member, treasurer, "a", 1000)
    pdf = services.receipt_pdf(
        services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    )
    assert b"DejaVu" in pdf  # the font is embedded
    text = pdf_text(pdf)
    assert "Łukasz Żółć-Ŝtraße" in text and "?ukasz" not in text


def test_sympathisers_have_no_dues_receipt(schedule, treasurer, tree, make_member):
    sympathiser = make_member(tree.cell_a1x, status=Membership.Status.SYMPATHISER)
    with pytest.raises(ValidationError):
        pay(sympathiser, treasurer, "a", 1000)
    with pytest.raises(PermissionDenied):
        services.receipt_issue(member=sympathiser, year=LAST_YEAR, by=sympathiser)


def test_a_back_dated_payment_into_a_closed_year_is_refused(
    schedule, treasurer, member
):
    pay(member, treasurer, "a", 1000)
    issued = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    with pytest.raises(ValidationError, match=issued.label) as refusal:
        pay(member, treasurer, "late", 500, paid_on=date(LAST_YEAR, 11, 3))
    assert "paid_on" in refusal.value.message_dict
    issued.refresh_from_db()
    assert issued.cancelled_at is None
    assert Receipt.objects.count() == 1


def test_a_correction_in_a_closed_year_issues_a_receipt_naming_the_one_replaced(
    schedule, treasurer, member
):
    entry = pay(member, treasurer, "a", 1000).entry
    pay(member, treasurer, "b", 500)
    first = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    services.entry_reverse(
        entry=entry, by=treasurer, reason="bounced", idempotency_key="r"
    )
    second = services.receipt_issue(member=member, year=LAST_YEAR, by=member)
    assert second.replaces_id == first.pk
    assert first.label in pdf_text(services.receipt_pdf(second))
    first.refresh_from_db()
    assert second.label in pdf_text(services.receipt_pdf(first))


@pytest.mark.parametrize("day", [date(2000, 1, 1), date(LAST_YEAR - 3, 6, 1)])
def test_payment_dates_before_joining_or_the_first_schedule_are_refused(
    schedule, treasurer, member, day
):
    with pytest.raises(ValidationError) as refusal:
        pay(member, treasurer, "old", 1000, paid_on=day)
    assert "paid_on" in refusal.value.message_dict
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_the_yearly_ceiling_of_dues_and_gifts_is_refused_clearly(
    settings, schedule, treasurer, member
):
    for index in range(3):
        pay(
            member,
            treasurer,
            f"k{index}",
            250_000,
            paid_on=date(LAST_YEAR, 2 + index, 1),
        )
    with pytest.raises(ValidationError) as refusal:
        pay(member, treasurer, "over", 1, paid_on=date(LAST_YEAR, 8, 1))
    message = " ".join(refusal.value.message_dict["amount_cents"])
    assert "7500.00" in message and "11-4" in message
    # Another year has its own ceiling.
    pay(member, treasurer, "next", 1000, paid_on=timezone.localdate())
