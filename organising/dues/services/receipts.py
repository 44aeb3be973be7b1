"""Annual receipts of dues paid, numbered without gaps within each year."""

from __future__ import annotations

import io
import unicodedata
import zipfile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from members.models import User
from organising.audit.services import audit_record

from ..models import PAID_KINDS, LedgerEntry, Receipt, ReceiptCounter
from .base import cents_str, setting


def paid_in_year(member_ids: list[int], year: int) -> dict[int, int]:
    """What each member paid in the calendar year (by payment date), corrections and
    returned debits deducted."""
    rows = (
        LedgerEntry.objects.filter(
            member_id__in=member_ids, kind__in=PAID_KINDS, paid_on__year=year
        )
        .values("member_id")
        .annotate(total=Sum("amount_cents"))
    )
    return {row["member_id"]: row["total"] for row in rows}


def _check_year(year: int) -> None:
    if not isinstance(year, int) or year < 2000:
        raise ValidationError({"year": _("Choose a year.")})
    if year >= timezone.localdate().year:
        raise ValidationError(
            {
                "year": _("Receipts for %(year)s are issued once the year is over.")
                % {"year": year}
            }
        )


def _next_number(year: int) -> int:
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _issue(member: User, year: int, amount: int, by) -> tuple[Receipt, bool]:
    current = (
        Receipt.objects.select_for_update()
        .filter(member=member, year=year, cancelled_at__isnull=True)
        .first()
    )
    if current is not None and current.amount_cents == amount:
        return current, False
    if current is not None:
        # The ledger changed since: the old receipt is cancelled, a new number
        # replaces it.
        current.cancelled_at = timezone.now()
        current.save(update_fields=["cancelled_at"])
    receipt = Receipt.objects.create(
        member=member,
        year=year,
        number=_next_number(year),
        amount_cents=amount,
        member_name=member.display_name,
        member_email=member.email,
        member_commune=member.commune,
        issued_by=by if getattr(by, "is_authenticated", False) else None,
    )
    return receipt, True


@transaction.atomic
def receipt_issue(*, member: User, year: int, by) -> Receipt:
    """The member's receipt for `year` (issued on first request, then the same one
    unless the amount paid changed)."""
    if by.pk != member.pk:
        from .base import require_member_scope

        require_member_scope(by, "dues.manage", member)
    _check_year(year)
    amount = paid_in_year([member.pk], year).get(member.pk, 0)
    if amount <= 0:
        raise ValidationError(_("No dues were paid in %(year)s.") % {"year": year})
    receipt, created = _issue(member, year, amount, by)
    if created:
        audit_record(
            actor=by,
            action="dues.receipt_issue",
            target=receipt,
            data={"year": year, "number": receipt.number, "amount_cents": amount},
        )
    return receipt


@transaction.atomic
def receipts_issue_for_unit(*, unit: Unit, year: int, by) -> list[Receipt]:
    """Receipts for `year` of every member who paid dues recorded in `unit` or below
    it that year, in name order (numbers are taken in that order)."""
    access.require(by, "dues.manage", unit)
    _check_year(year)
    limit = setting("DUES_BULK_RECEIPTS_MAX", 5000)
    member_ids = list(
        LedgerEntry.objects.filter(
            unit__path__startswith=unit.path, kind__in=PAID_KINDS, paid_on__year=year
        )
        .values_list("member_id", flat=True)
        .distinct()
    )
    if len(member_ids) > limit:
        raise ValidationError(
            _("More than %(n)s members: issue the receipts of each unit below.")
            % {"n": limit}
        )
    totals = paid_in_year(member_ids, year)
    members = User.objects.filter(
        pk__in=[m for m, total in totals.items() if total > 0]
    )
    receipts = []
    for member in members.order_by("display_name", "pk"):
        receipt, _created = _issue(member, year, totals[member.pk], by)
        receipts.append(receipt)
    audit_record(
        actor=by,
        action="dues.receipts_issue_bulk",
        target=unit,
        unit=unit,
        data={"year": year, "count": len(receipts)},
    )
    return receipts


# --- The PDF ---------------------------------------------------------------


def _latin(text: str) -> str:
    """Text the PDF core fonts can draw (Latin-1): other letters lose their accents."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = (
                unicodedata.normalize("NFKD", char)
                .encode("latin-1", "ignore")
                .decode("latin-1")
            )
            out.append(plain or "?")
    return "".join(out)


def receipt_lines(receipt: Receipt) -> dict[str, str | list[str]]:
    """What the receipt says, ready to lay out (tested apart from the PDF)."""
    issuer = setting("DUES_RECEIPT_ISSUER", "Association de financement du parti")
    address = setting("DUES_RECEIPT_ISSUER_ADDRESS", "")
    amount = cents_str(receipt.amount_cents).replace(".", ",")
    return {
        "title": _("Receipt for dues paid in %(year)s") % {"year": receipt.year},
        "number": _("Receipt no. %(label)s") % {"label": receipt.label},
        "issuer": [issuer, *[line for line in address.split("\n") if line.strip()]],
        "member": [
            receipt.member_name,
            receipt.member_email,
            *([receipt.member_commune] if receipt.member_commune else []),
        ],
        "body": [
            _(
                "%(issuer)s certifies that it received from the member named "
                "above, as party dues, the sum of %(amount)s EUR in the calendar "
                "year %(year)s."
            )
            % {"issuer": issuer, "amount": amount, "year": receipt.year},
            _(
                "Dues paid to a political party give a right to an income tax "
                "reduction under article 200 of the French General Tax Code, within "
                "the limits it sets."
            ),
        ],
        "amount": f"{amount} EUR",
        "issued": _("Issued on %(day)s")
        % {"day": formats.date_format(timezone.localtime(receipt.issued_at).date())},
        "cancelled": _("CANCELLED: replaced by a later receipt")
        if receipt.cancelled_at
        else "",
    }


def _line(pdf, height: int, text: str) -> None:
    """A paragraph the page wide, then back to the left margin on the next line."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _address(pdf, lines: list[str]) -> None:
    """A name in bold, then the lines under it."""
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, 6, _latin(lines[0]))
    pdf.set_font("Helvetica", "", 10)
    for line in lines[1:]:
        _line(pdf, 5, _latin(line))


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a one-page A4 PDF."""
    from fpdf import FPDF

    content = receipt_lines(receipt)
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(receipt.label)
    pdf.set_author(_latin(content["issuer"][0]))
    pdf.set_creator("Maillage")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, 9, _latin(content["title"]))
    pdf.set_font("Helvetica", "", 11)
    _line(pdf, 7, _latin(content["number"]))
    pdf.ln(4)
    _address(pdf, content["issuer"])
    pdf.ln(6)
    _address(pdf, content["member"])
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 11)
    for paragraph in content["body"]:
        _line(pdf, 6, _latin(paragraph))
        pdf.ln(3)
    pdf.set_font("Helvetica", "B", 14)
    _line(pdf, 10, _latin(content["amount"]))
    pdf.set_font("Helvetica", "", 10)
    _line(pdf, 6, _latin(content["issued"]))
    if content["cancelled"]:
        pdf.set_text_color(185, 28, 28)
        pdf.set_font("Helvetica", "B", 12)
        _line(pdf, 8, _latin(content["cancelled"]))
    return bytes(pdf.output())


def receipts_zip(receipts: list[Receipt]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for receipt in receipts:
            archive.writestr(f"recu-{receipt.label}.pdf", receipt_pdf(receipt))
    return buffer.getvalue()
