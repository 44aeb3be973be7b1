"""Recurrence rules (RFC 5545 RRULE, read by python-dateutil) and the expansion of
events into occurrences.

Rules are expanded in the event's own time zone with an aware start, so a weekly
meeting at 19:00 stays at 19:00 on both sides of a daylight-saving change (dateutil
combines each date with the start's wall-clock time and zone). A rule must end: a
COUNT or an UNTIL, and at most MAX_OCCURRENCES occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_OCCURRENCES = 1000
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL = re.compile(r"UNTIL=(\d{8})(?:T(\d{6}))?(Z?)", re.IGNORECASE)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            {"timezone": _("Unknown time zone: %(name)s.") % {"name": name}}
        ) from error


def normalise_rrule(text: str, *, starts_at: datetime, tz: str) -> str:
    """The rule in canonical form (UNTIL in UTC), or ValidationError on the field
    "rrule" when it does not parse, repeats faster than daily, or never ends."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        return ""
    text = text.upper()
    parts = dict(
        part.split("=", 1) if "=" in part else (part, "")
        for part in text.split(";")
        if part
    )
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise ValidationError(
            {
                "rrule": _(
                    "The recurrence does not parse: it needs FREQ=DAILY, WEEKLY, "
                    "MONTHLY or YEARLY."
                )
            }
        )
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise ValidationError(
            {
                "rrule": _(
                    "The recurrence never ends: give a number of occurrences "
                    "(COUNT) or a last date (UNTIL)."
                )
            }
        )
    local_zone = zone(tz)

    def until_in_utc(match: re.Match) -> str:
        day, time, utc = match.group(1), match.group(2) or "235959", match.group(3)
        try:
            moment = datetime.strptime(day + time, "%Y%m%d%H%M%S")
        except ValueError:
            return match.group(0)  # left for the parser to refuse
        if not utc:  # floating: the event's own time zone
            moment = moment.replace(tzinfo=local_zone).astimezone(UTC)
        return f"UNTIL={moment:%Y%m%dT%H%M%S}Z"

    text = _UNTIL.sub(until_in_utc, text)
    rule = parse_rrule(text, starts_at=starts_at, tz=tz)
    if next(islice(iter(rule), MAX_OCCURRENCES, None), None) is not None:
        raise ValidationError(
            {
                "rrule": _("The recurrence has more than %(n)d occurrences.")
                % {"n": MAX_OCCURRENCES}
            }
        )
    return text


def parse_rrule(text: str, *, starts_at: datetime, tz: str) -> rrule:
    try:
        rule = rrulestr(text, dtstart=starts_at.astimezone(zone(tz)))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValidationError(
            {"rrule": _("The recurrence does not parse: %(error)s") % {"error": error}}
        ) from error
    if not isinstance(rule, rrule):
        raise ValidationError({"rrule": _("Give a single RRULE.")})
    return rule


@dataclass(frozen=True)
class Occurrence:
    """One meeting of an event: its own start and end, and the start the rule gave it
    (what an answer and an iCalendar RECURRENCE-ID refer to)."""

    event: object
    original_start: datetime
    start: datetime
    end: datetime
    moved: bool = False

    @property
    def key(self) -> str:
        """The occurrence in URLs: its original start in UTC."""
        return self.original_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    @property
    def cancelled(self) -> bool:
        return self.event.status == "cancelled"


def parse_key(key: str) -> datetime | None:
    try:
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def rule_starts(event) -> Iterable[datetime]:
    """Every start the event's rule gives (just the start for a single event), UTC."""
    if not event.rrule:
        return [event.starts_at.astimezone(UTC)]
    rule = parse_rrule(event.rrule, starts_at=event.starts_at, tz=event.timezone)
    return (start.astimezone(UTC) for start in rule)


def span(event, exceptions: Iterable = ()) -> tuple[datetime, datetime]:
    """(first start, last end) over every occurrence, moved ones included."""
    starts = list(islice(rule_starts(event), MAX_OCCURRENCES))
    first, last = starts[0], starts[-1] + event.duration
    for exception in exceptions:
        if exception.starts_at is not None and not exception.cancelled:
            first = min(first, exception.starts_at)
            last = max(last, exception.ends_at)
    return first, last


def occurrences(
    event, start: datetime, end: datetime, exceptions: Iterable = ()
) -> list[Occurrence]:
    """The event's occurrences overlapping [start, end), cancelled ones left out,
    moved ones at their new time."""
    duration = event.duration
    by_start = {exception.original_start: exception for exception in exceptions}
    found: list[Occurrence] = []
    if not event.rrule:
        candidates = [event.starts_at]
    else:
        rule = parse_rrule(event.rrule, starts_at=event.starts_at, tz=event.timezone)
        tz = zone(event.timezone)
        candidates = rule.between(
            (start - duration).astimezone(tz), end.astimezone(tz), inc=True
        )
    for original in candidates:
        original = original.astimezone(UTC)
        exception = by_start.pop(original, None)
        if exception is not None and (exception.cancelled or exception.starts_at):
            continue  # cancelled, or listed below at its new time
        if _overlaps(original, original + duration, start, end):
            found.append(Occurrence(event, original, original, original + duration))
    for exception in exceptions:
        if exception.cancelled or exception.starts_at is None:
            continue
        if _overlaps(exception.starts_at, exception.ends_at, start, end):
            found.append(
                Occurrence(
                    event,
                    exception.original_start.astimezone(UTC),
                    exception.starts_at,
                    exception.ends_at,
                    moved=True,
                )
            )
    return found


def _overlaps(first: datetime, last: datetime, start: datetime, end: datetime) -> bool:
    """[first, last] meets [start, end) (an instant event at `start` counts)."""
    return first < end and (last > start or first >= start)


def expand(events: Iterable, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences of every event in [start, end), by start. Each event's exceptions
    must be loaded (`exception_list`, or prefetched `exceptions`): no query here."""
    found: list[Occurrence] = []
    for event in events:
        exceptions = getattr(event, "exception_list", None)
        if exceptions is None:
            exceptions = event.exceptions.all()
        found.extend(occurrences(event, start, end, exceptions))
    found.sort(key=lambda occurrence: (occurrence.start, occurrence.event.pk))
    return found


def occurrence_at(event, original_start: datetime) -> Occurrence | None:
    """The occurrence the rule gives at `original_start` (moved if an exception moved
    it), or None when there is none or it was cancelled."""
    exceptions = {e.original_start: e for e in event.exceptions.all()}
    exception = exceptions.get(original_start)
    if exception is not None:
        if exception.cancelled:
            return None
        if exception.starts_at is not None:
            return Occurrence(
                event, original_start, exception.starts_at, exception.ends_at, True
            )
    window = timedelta(seconds=1)
    for occurrence in occurrences(
        event, original_start, original_start + window, exceptions=[]
    ):
        if occurrence.original_start == original_start:
            return occurrence
    return None
