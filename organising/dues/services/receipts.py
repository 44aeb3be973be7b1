"""Annual receipts of dues paid, numbered without gaps within each year."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

from anyascii import anyascii
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from members.models import Membership, User
from organising.audit.services import audit_record

from ..models import (
    PAID_KINDS,
    Kind,
    LedgerEntry,
    Method,
    PostalAddress,
    Receipt,
    ReceiptCounter,
)
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


def issuer() -> tuple[str, str]:
    """The issuer's name and postal address (the party's financing association), or
    a ValidationError: a receipt without them is worthless to the tax office."""
    name = (setting("DUES_RECEIPT_ISSUER", "") or "").strip()
    address = (setting("DUES_RECEIPT_ISSUER_ADDRESS", "") or "").strip()
    if not name or not address:
        raise ValidationError(
            _(
                "Receipts cannot be issued yet: the administrator sets the issuer's "
                "name and postal address (DUES_RECEIPT_ISSUER, "
                "DUES_RECEIPT_ISSUER_ADDRESS)."
            )
        )
    return name, address


def _member_address(member: User) -> str:
    found = PostalAddress.objects.filter(member_id=member.pk).first()
    if found is None or not found.lines.strip():
        raise ValidationError(
            {
                "address": _(
                    "A tax receipt names the member's postal address: "
                    "%(name)s has not given one yet."
                )
                % {"name": member.display_name}
            }
        )
    return found.lines.strip()


def adherent_in_year(member_ids: list[int], year: int) -> set[int]:
    """The members who were adherents at some time in `year`: dues receipts are for
    adherents' dues only."""
    return set(
        Membership.objects.filter(
            user_id__in=member_ids,
            status=Membership.Status.ADHERENT,
            started_on__lte=date(year, 12, 31),
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))
        .values_list("user_id", flat=True)
    )


def payments_in_year(member_id: int, year: int) -> list[dict]:
    """The payments the receipt lists (date, method, amount), those corrected or
    returned left out."""
    return [
        {
            "paid_on": paid_on.isoformat(),
            "method": method,
            "amount_cents": amount,
        }
        for paid_on, method, amount in LedgerEntry.objects.filter(
            member_id=member_id,
            kind=Kind.PAYMENT,
            paid_on__year=year,
            reversed_by__isnull=True,
        )
        .order_by("paid_on", "pk")
        .values_list("paid_on", "method", "amount_cents")
    ]


def _lock_year(year: int) -> ReceiptCounter:
    """The year's counter, locked: receipts of a year are issued one at a time, so
    that two requests for the same receipt give the same one (the second waits and
    then finds it) and numbers follow each other without gaps."""
    ReceiptCounter.objects.get_or_create(year=year)
    return ReceiptCounter.objects.select_for_update().get(year=year)


def _issue(member: User, year: int, amount: int, by) -> tuple[Receipt, bool]:
    issuer_name, issuer_address = issuer()
    address = _member_address(member)
    counter = _lock_year(year)
    current = (
        Receipt.objects.select_for_update()
        .filter(member=member, year=year, cancelled_at__isnull=True)
        .first()
    )
    if current is not None and current.amount_cents == amount:
        return current, False
    if current is not None:
        # The ledger changed since (a correction, a returned debit): the new receipt
        # is a corrective one that names the receipt it replaces, which stays
        # readable, marked as replaced.
        current.cancelled_at = timezone.now()
        current.save(update_fields=["cancelled_at"])
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    receipt = Receipt.objects.create(
        member=member,
        year=year,
        number=counter.last_number,
        amount_cents=amount,
        member_name=member.display_name,
        member_email=member.email,
        member_commune=member.commune,
        member_address=address,
        issuer_name=issuer_name,
        issuer_address=issuer_address,
        payments=payments_in_year(member.pk, year),
        replaces=current,
        issued_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if current is not None:
        audit_record(
            actor=by,
            action="dues.receipt_replace",
            target=receipt,
            data={"replaces": current.label, "amount_cents": amount},
        )
    return receipt, True


@transaction.atomic
def receipt_issue(*, member: User, year: int, by) -> Receipt:
    """The member's receipt for `year` (issued on first request, then the same one;
    a corrective receipt naming the one it replaces if the amount paid changed)."""
    if by.pk == member.pk:
        access.require(by, "dues.own.view", member)
    else:
        from .base import require_member_scope

        require_member_scope(by, "dues.manage", member)
    _check_year(year)
    if member.pk not in adherent_in_year([member.pk], year):
        raise ValidationError(
            _("%(name)s was not an adherent in %(year)s: no dues receipt.")
            % {"name": member.display_name, "year": year}
        )
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
    """Receipts for `year` of every adherent who paid dues recorded in `unit` or
    below it that year and gave a postal address, in name order (numbers are taken
    in that order)."""
    access.require(by, "dues.manage", unit)
    _check_year(year)
    issuer()
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
    adherents = adherent_in_year(member_ids, year)
    with_address = set(
        PostalAddress.objects.filter(member_id__in=member_ids).values_list(
            "member_id", flat=True
        )
    )
    members = User.objects.filter(
        pk__in=[
            m
            for m, total in totals.items()
            if total > 0 and m in adherents and m in with_address
        ]
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


@transaction.atomic
def postal_address_set(*, member: User, lines: str, by=None) -> PostalAddress:
    """The member gives the postal address their tax receipts will name."""
    by = by or member
    if by.pk != member.pk:
        raise PermissionDenied(_("Only the member gives their postal address."))
    access.require(by, "dues.own.view", member)
    cleaned = "\n".join(
        line.strip() for line in (lines or "").splitlines() if line.strip()
    )
    if len(cleaned.splitlines()) < 2:
        raise ValidationError(
            {
                "address": _(
                    "Give the street and the postcode with the town, on two lines "
                    "at least."
                )
            }
        )
    if len(cleaned) > 300 or len(cleaned.splitlines()) > 6:
        raise ValidationError(
            {"address": _("Keep the address to six lines and 300 characters.")}
        )
    address, _created = PostalAddress.objects.update_or_create(
        member=member, defaults={"lines": cleaned, "updated_at": timezone.now()}
    )
    audit_record(actor=by, action="dues.postal_address_set", target=address)
    return address


def receipt_closing(member_id: int, day: date) -> Receipt | None:
    """The valid receipt that already closed the member's year of `day`, if any: a
    payment dated in that year can no longer be recorded."""
    return Receipt.objects.filter(
        member_id=member_id, year=day.year, cancelled_at__isnull=True
    ).first()


# --- The PDF ---------------------------------------------------------------

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core


def _font_dir() -> Path | None:
    """Where DejaVu Sans is (a setting, the copy shipped in static/fonts, or the
    system's), or None: then the PDF falls back to the core fonts."""
    configured = setting("DUES_RECEIPT_FONT_DIR", "")
    shipped = Path(settings.BASE_DIR) / "static" / "fonts"
    folders = [Path(configured)] if configured else []
    for folder in [*folders, shipped, SYSTEM_FONT_DIR]:
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            return folder
    return None


def amount_in_words(cents: int) -> str:
    """The amount in French words, as a tax receipt states it ("trente euros et
    cinquante centimes")."""
    from num2words import num2words

    euros, rest = divmod(int(cents), 100)
    words = f"{num2words(euros, lang='fr')} {'euro' if euros <= 1 else 'euros'}"
    if rest:
        centimes = "centime" if rest == 1 else "centimes"
        words += f" et {num2words(rest, lang='fr')} {centimes}"
    return words


def _grouped(euros: int) -> str:
    """Whole euros with the language's thousands separator ("15,000", "15 000")."""
    return formats.number_format(euros, decimal_pos=0, force_grouping=True)


def _euros(cents: int) -> str:
    return cents_str(cents).replace(".", ",")


def receipt_lines(receipt: Receipt) -> dict[str, str | list[str]]:
    """What the receipt says, ready to lay out (tested apart from the PDF)."""
    name = receipt.issuer_name or setting("DUES_RECEIPT_ISSUER", "")
    address = receipt.issuer_address or setting("DUES_RECEIPT_ISSUER_ADDRESS", "")
    amount = _euros(receipt.amount_cents)
    ceiling = setting("DUES_YEARLY_CEILING_CENTS", 750_000)
    methods = dict(Method.choices)
    payments = [
        _("%(day)s · %(method)s · %(amount)s EUR")
        % {
            "day": formats.date_format(date.fromisoformat(row["paid_on"])),
            "method": methods.get(row["method"], row["method"]),
            "amount": _euros(row["amount_cents"]),
        }
        for row in receipt.payments
    ]
    replaced = getattr(receipt, "replaced_by", None) if receipt.cancelled_at else None
    return {
        "title": _("Receipt for dues paid in %(year)s") % {"year": receipt.year},
        "number": _("Receipt no. %(label)s") % {"label": receipt.label},
        "corrects": _(
            "Corrective receipt: it replaces and cancels receipt no. %(label)s."
        )
        % {"label": receipt.replaces.label}
        if receipt.replaces_id
        else "",
        "issuer": [name, *[line for line in address.split("\n") if line.strip()]],
        "member": [
            receipt.member_name,
            *[line for line in receipt.member_address.split("\n") if line.strip()],
            *(
                [receipt.member_commune]
                if receipt.member_commune and not receipt.member_address
                else []
            ),
        ],
        "body": [
            _(
                "The issuer, %(issuer)s, certifies that it received from the member "
                "named above, as an adherent's party dues, the sum of %(amount)s EUR "
                "(%(words)s) in the calendar year %(year)s."
            )
            % {
                "issuer": name,
                "amount": amount,
                "words": amount_in_words(receipt.amount_cents),
                "year": receipt.year,
            },
        ],
        "payments_title": _("Payments received"),
        "payments": payments,
        "legal": [
            _(
                "Dues and gifts to a political party give a right to a reduction of "
                "income tax of %(rate)s of their amount, within %(share)s of taxable "
                "income (article 200 of the French General Tax Code); dues and gifts "
                "to political parties count up to %(cap)s € per tax household and "
                "year."
            )
            % {"rate": "66 %", "share": "20 %", "cap": _grouped(15_000)},
            _(
                "A person's gifts and dues to one or more political parties may not "
                "exceed %(max)s € a year (article 11-4 of law no. 88-227 of "
                "11 March 1988)."
            )
            % {"max": _grouped(ceiling // 100)},
        ],
        "amount": f"{amount} EUR",
        "issued": _("Issued on %(day)s")
        % {"day": formats.date_format(timezone.localtime(receipt.issued_at).date())},
        "cancelled": (
            _("CANCELLED: replaced by receipt no. %(label)s")
            % {"label": replaced.label}
            if replaced is not None
            else _("CANCELLED: replaced by a later receipt")
        )
        if receipt.cancelled_at
        else "",
    }


class _Writer:
    """Lays the receipt out in DejaVu Sans (every letter of every name), or in the
    core fonts with names transliterated when no DejaVu file is found."""

    def __init__(self, pdf):
        self.pdf = pdf
        folder = _font_dir()
        self.family = "Helvetica"
        if folder is not None:
            for style, filename in FONT_FILES.items():
                pdf.add_font("DejaVu", style, str(folder / filename))
            self.family = "DejaVu"

    def text(self, value: str) -> str:
        if self.family == "DejaVu":
            return value
        return "".join(
            char if char.encode("latin-1", "ignore") else anyascii(char)
            for char in value
        )

    def font(self, style: str, size: int) -> None:
        self.pdf.set_font(self.family, style, size)

    def line(self, height: int, value: str) -> None:
        """A paragraph the page wide, then back to the left margin."""
        self.pdf.multi_cell(0, height, self.text(value), new_x="LMARGIN", new_y="NEXT")

    def address(self, lines: list[str]) -> None:
        """A name in bold, then the lines under it."""
        self.font("B", 11)
        self.line(6, lines[0])
        self.font("", 10)
        for value in lines[1:]:
            self.line(5, value)


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a one-page A4 PDF."""
    from fpdf import FPDF

    content = receipt_lines(receipt)
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    out = _Writer(pdf)
    pdf.set_title(receipt.label)
    pdf.set_author(out.text(content["issuer"][0]))
    pdf.set_creator("Maillage")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    out.font("B", 16)
    out.line(9, content["title"])
    out.font("", 11)
    out.line(7, content["number"])
    if content["corrects"]:
        out.font("B", 10)
        out.line(6, content["corrects"])
    pdf.ln(4)
    out.address(content["issuer"])
    pdf.ln(6)
    out.address(content["member"])
    pdf.ln(8)
    out.font("", 11)
    for paragraph in content["body"]:
        out.line(6, paragraph)
        pdf.ln(3)
    out.font("B", 14)
    out.line(10, content["amount"])
    if content["payments"]:
        out.font("B", 10)
        out.line(6, content["payments_title"])
        out.font("", 10)
        for row in content["payments"]:
            out.line(5, row)
        pdf.ln(3)
    out.font("", 9)
    for paragraph in content["legal"]:
        out.line(5, paragraph)
    pdf.ln(2)
    out.font("", 10)
    out.line(6, content["issued"])
    if content["cancelled"]:
        pdf.set_text_color(185, 28, 28)
        out.font("B", 12)
        out.line(8, content["cancelled"])
    return bytes(pdf.output())


def receipts_zip(receipts: list[Receipt]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for receipt in receipts:
            archive.writestr(f"recu-{receipt.label}.pdf", receipt_pdf(receipt))
    return buffer.getvalue()
