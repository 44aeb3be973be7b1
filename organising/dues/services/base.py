"""Helpers every dues service shares: settings, scope checks, input rules."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from members.models import Membership

from .. import periods as P
from ..models import Method
from ..rates import LoadedSchedule, schedule_on

MAX_KEY_LENGTH = 120


def setting(name: str, default):
    """A dues setting, read when needed (never at import time)."""
    return getattr(settings, name, default)


class IdempotencyConflict(ValidationError):
    """The idempotency key was already used for a different request."""


def fingerprint(**fields) -> str:
    canonical = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise ValidationError({"idempotency_key": _("An idempotency key is required.")})
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            {"idempotency_key": _("The idempotency key is too long (120 at most).")}
        )
    return key


def client_key(by, key: str) -> str:
    """The stored form of a key a person (or their client) chose: in a key space of
    their own, so that nobody can replay someone else's recording, nor the keys the
    server gives its own entries ("waiver:…", "sepa:…", "import:…"), which never
    start with "client:"."""
    actor = getattr(by, "pk", None) or 0
    return f"client:{actor}:{check_key(key)}"


def check_amount(amount_cents, field: str = "amount_cents") -> int:
    """A positive whole number of cents, under the party's ceiling for one payment."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValidationError({field: _("Give the amount as a whole number of cents.")})
    if amount_cents <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    ceiling = setting("DUES_MAX_PAYMENT_CENTS", 750_000)
    if amount_cents > ceiling:
        raise ValidationError(
            {
                field: _("%(amount)s € is above the %(max)s € a payment may be.")
                % {"amount": cents_str(amount_cents), "max": cents_str(ceiling)}
            }
        )
    return amount_cents


# "1234", "1 234", "1.234", "1,234" (thousands), then an optional decimal part of one
# or two digits after "," or "."; the thousands separator differs from the decimal one.
AMOUNT = re.compile(
    r"(?P<sign>[-+]?)(?P<whole>\d{1,3}(?:(?P<sep>[ .,'])\d{3})+|\d+)"
    r"(?:(?P<point>[.,])(?P<fraction>\d{1,2}))?"
)
SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def parse_euros(text: str, field: str = "amount") -> int:
    """Cents from an amount as people and banks write it: "12", "12,5", "12.50",
    "1 234,56" (a space, no-break or narrow no-break space between thousands),
    "1.234,56", "1,234.56", with or without "€"/"EUR". Refused with a clear
    message: exponents ("1e3"), a lone "1.000" or "1,000" (a thousand, or one
    euro?), fractions of a cent. The one parser of the form, the import and the
    API."""
    raw = text if isinstance(text, str) else str(text or "")
    cleaned = raw.strip()
    for unit in ("€", "EUR", "eur", "Eur"):
        cleaned = cleaned.removesuffix(unit).removeprefix(unit).strip()
    cleaned = SPACES.sub(" ", cleaned)
    if re.search(r"\d\s*[eE]\s*[-+]?\d", cleaned):
        raise ValidationError(
            {
                field: _("%(v)s: write the amount in figures, without an exponent.")
                % {"v": raw}
            }
        )
    if re.fullmatch(r"[-+]?\d+[.,]\d{4,}", cleaned):
        raise ValidationError(
            {field: _("%(v)s has a fraction of a cent.") % {"v": raw}}
        )
    found = AMOUNT.fullmatch(cleaned)
    if found is None or (
        found["sep"] and found["point"] and found["sep"] == found["point"]
    ):
        raise ValidationError({field: _("%(v)s is not an amount.") % {"v": raw}})
    whole, sep = found["whole"], found["sep"]
    if sep in (".", ",") and not found["point"] and whole.count(sep) == 1:
        raise ValidationError(
            {
                field: _(
                    "%(v)s is ambiguous: write 1000 or 1 000 for a thousand euros, "
                    "1,00 for one euro."
                )
                % {"v": raw}
            }
        )
    digits = whole.replace(sep or "", "")
    fraction = (found["fraction"] or "").ljust(2, "0")
    cents = int(digits) * 100 + int(fraction or 0)
    return -cents if found["sign"] == "-" else cents


def cents_str(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def check_method(method: str, cheque_number: str) -> None:
    if method not in Method.values:
        raise ValidationError({"method": _("Choose a payment method.")})
    if method == Method.CHEQUE and not (cheque_number or "").strip():
        raise ValidationError({"cheque_number": _("Give the cheque number.")})


@dataclass(frozen=True)
class PaymentFields:
    """A payment's details checked and tidied: the rules a recorded payment and a
    declared one share."""

    amount_cents: int
    paid_on: date
    method: str
    periods: list[date]  # period starts, in order; empty: the oldest owed first
    cheque_number: str
    reference: str
    note: str


def check_payment(
    *,
    amount_cents: int,
    paid_on: date,
    method: str,
    schedules: list[LoadedSchedule],
    periods: list | None = None,
    cheque_number: str = "",
    reference: str = "",
    note: str = "",
    allow_future: bool = False,
) -> PaymentFields:
    """The payment's fields, or a ValidationError naming the first wrong one."""
    amount_cents = check_amount(amount_cents)
    paid_on = check_paid_on(paid_on, allow_future=allow_future)
    check_method(method, cheque_number)
    return PaymentFields(
        amount_cents=amount_cents,
        paid_on=paid_on,
        method=method,
        periods=check_periods(list(periods), schedules) if periods else [],
        cheque_number=(cheque_number or "").strip()[:40]
        if method == Method.CHEQUE
        else "",
        reference=(reference or "").strip()[:140],
        note=(note or "").strip()[:300],
    )


def check_paid_on(paid_on: date, *, allow_future: bool = False) -> date:
    if not isinstance(paid_on, date):
        raise ValidationError({"paid_on": _("Give the date of the payment.")})
    today = timezone.localdate()
    if not allow_future and paid_on > today:
        raise ValidationError({"paid_on": _("The payment date is in the future.")})
    if paid_on.year < 2000:
        raise ValidationError(
            {"paid_on": _("The payment date is too far in the past.")}
        )
    return paid_on


def home_membership(member) -> Membership | None:
    return (
        Membership.objects.current()
        .filter(user_id=member.pk)
        .select_related("unit")
        .first()
    )


def adherent_membership(member) -> Membership:
    """The member's current membership as an adherent, or a ValidationError."""
    membership = home_membership(member)
    if membership is None or membership.status != Membership.Status.ADHERENT:
        raise ValidationError(
            {"member": _("%(name)s is not a current adherent.") % {"name": member}}
        )
    return membership


def dues_membership(member) -> Membership | None:
    """The membership whose unit keeps the member's dues: the current one, or a
    former member's last one (their arrears are still recorded there)."""
    return home_membership(member) or (
        Membership.objects.filter(user_id=member.pk)
        .select_related("unit")
        .order_by("-ended_on", "-started_on", "-pk")
        .first()
    )


def require_member_scope(by, action: str, member) -> Membership:
    """The member's home membership (a former member's last one), if `by` may do
    `action` there (dues are kept by the treasurers of the member's cell and of
    every unit above it)."""
    membership = dues_membership(member)
    if membership is None or not access.can(by, action, membership.unit):
        raise PermissionDenied(
            _("%(name)s is not a member of a unit you keep the dues of.")
            % {"name": member}
        )
    return membership


def check_periods(
    keys_or_dates: list, schedules: list[LoadedSchedule], *, field: str = "periods"
) -> list[date]:
    """Period starts from keys ("2025-03") or dates, each inside a schedule, a period
    of that schedule's kind, not too far ahead; in order, without repeats."""
    out: list[date] = []
    today = timezone.localdate()
    ahead = setting("DUES_MAX_PERIODS_AHEAD_MONTHS", 12)
    limit = P.add_months(today, ahead + 1)
    for raw in keys_or_dates:
        if isinstance(raw, date):
            start, kind = raw, None
        else:
            start, kind = P.parse_period_key(str(raw))
        loaded = schedule_on(schedules, start)
        if loaded is None:
            raise ValidationError(
                {
                    field: _("No dues schedule covers %(period)s.")
                    % {"period": raw if kind else start.isoformat()}
                }
            )
        if (kind is not None and kind != loaded.period) or not P.is_period_start(
            start, loaded.period
        ):
            raise ValidationError(
                {
                    field: _("%(period)s is not a %(kind)s period of the schedule.")
                    % {
                        "period": raw,
                        "kind": loaded.schedule.get_period_display(),
                    }
                }
            )
        if start >= limit:
            raise ValidationError(
                {
                    field: _("%(period)s is more than %(n)s months ahead.")
                    % {"period": raw, "n": ahead}
                }
            )
        if start in out:
            raise ValidationError({field: _("A period is given twice.")})
        out.append(start)
    return sorted(out)


def split_evenly(amount_cents: int, parts: int) -> list[int]:
    """`amount_cents` in `parts` shares that differ by one cent at most (the first
    ones take the extra cents) and add up exactly."""
    base, extra = divmod(amount_cents, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]
