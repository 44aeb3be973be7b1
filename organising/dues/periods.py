"""Dues periods: a month, a quarter or a year, named by the date it starts on.

The ledger stores a period as its first day (a DateField); people and the API read
and write it as a key: "2025-03" (monthly), "2025-Q1" (quarterly), "2025" (yearly).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"
MONTHS_IN = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}

_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, kind: str) -> date:
    """The first day of the period of `kind` that contains `day`."""
    if kind == MONTHLY:
        return day.replace(day=1)
    if kind == QUARTERLY:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if kind == YEARLY:
        return date(day.year, 1, 1)
    raise ValueError(f"Unknown period kind {kind!r}")


def is_period_start(day: date, kind: str) -> bool:
    return period_start(day, kind) == day


def next_period(start: date, kind: str) -> date:
    return add_months(start, MONTHS_IN[kind])


def previous_period(start: date, kind: str) -> date:
    return add_months(start, -MONTHS_IN[kind])


def period_end(start: date, kind: str) -> date:
    """The last day of the period that starts on `start`."""
    return next_period(start, kind) - timedelta(days=1)


def period_key(start: date, kind: str) -> str:
    if kind == MONTHLY:
        return f"{start.year:04d}-{start.month:02d}"
    if kind == QUARTERLY:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def parse_period_key(key: str) -> tuple[date, str]:
    """(first day, kind) of a key such as "2025-03", "2025-Q2" or "2025"."""
    match = _KEY.match((key or "").strip())
    if not match:
        raise ValidationError(
            _("%(key)s is not a period: write 2025-03, 2025-Q1 or 2025.") % {"key": key}
        )
    year = int(match["year"])
    if year < 1 or year > 9998:
        # date() knows years 1 to 9999; 9999 leaves no room for the period after.
        raise ValidationError(_("%(key)s is not a period.") % {"key": key})
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise ValidationError(_("%(key)s is not a month.") % {"key": key})
        return date(year, month, 1), MONTHLY
    if match["quarter"]:
        return date(year, (int(match["quarter"]) - 1) * 3 + 1, 1), QUARTERLY
    return date(year, 1, 1), YEARLY


def periods_between(first: date, last: date, kind: str) -> list[date]:
    """Every period start of `kind` from `first`'s period to `last`'s, inclusive."""
    current, out = period_start(first, kind), []
    while current <= last:
        out.append(current)
        current = next_period(current, kind)
    return out
