"""iCalendar (RFC 5545) with the `icalendar` library: feeds and single events out,
files in.

Out, an event is one VEVENT with its RRULE, its cancelled occurrences as EXDATE and
each moved occurrence as a VEVENT of the same UID with a RECURRENCE-ID, times in the
event's zone (its VTIMEZONE is added), so calendars compute the same occurrences as
the site. In, a file is refused whole when it is not iCalendar or holds more than
MAX_IMPORT events; otherwise each event is created, skipped (its UID is already in
the agenda) or rejected with the reason.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from federation import access
from federation.models import Unit
from organising.audit.services import audit_record
from organising.cached import cache, guarded, in_transaction

from . import recurrence, services
from .models import DEFAULT_TIMEZONE, Event, OccurrenceException

MAX_IMPORT = 2000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
STATUS_OUT = {
    "planned": "CONFIRMED",
    "cancelled": "CANCELLED",
    "postponed": "TENTATIVE",
}


# --- Out -----------------------------------------------------------------------------


def _moment(event: Event, value: datetime) -> datetime | date:
    local = value.astimezone(ZoneInfo(event.timezone))
    return local.date() if event.all_day else local


def _vevent(event: Event) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.updated_at or timezone.now())
    vevent.add("summary", event.title)
    vevent.add("dtstart", _moment(event, event.starts_at))
    vevent.add("dtend", _moment(event, event.ends_at))
    vevent.add("status", STATUS_OUT[event.status])
    vevent.add("categories", [event.kind])
    vevent.add("url", event.uri)
    if event.description:
        vevent.add("description", strip_tags(event.description_html))
    if event.place:
        vevent.add("location", event.place)
    if event.online_url:
        vevent.add("conference", event.online_url)  # RFC 7986
    return vevent


def _rrule(event: Event) -> vRecur:
    rule = vRecur.from_ical(event.rrule)
    if event.all_day and "UNTIL" in rule:
        # With a DATE start the UNTIL is a DATE too (RFC 5545 3.3.10).
        rule["UNTIL"] = [_moment(event, rule["UNTIL"][0])]
    return rule


def add_event(calendar: Calendar, event: Event) -> None:
    vevent = _vevent(event)
    exceptions = list(event.exceptions.all())
    if event.rrule:
        vevent.add("rrule", _rrule(event))
        cancelled = [e.original_start for e in exceptions if e.cancelled]
        if cancelled:
            vevent.add("exdate", [_moment(event, moment) for moment in cancelled])
    calendar.add_component(vevent)
    for exception in exceptions if event.rrule else ():
        if exception.cancelled:
            continue
        override = _vevent(event)
        override["dtstart"] = override.types_factory.for_property("dtstart")(
            _moment(event, exception.starts_at)
        )
        override["dtend"] = override.types_factory.for_property("dtend")(
            _moment(event, exception.ends_at)
        )
        override.add("recurrence-id", _moment(event, exception.original_start))
        calendar.add_component(override)


def calendar_of(events, *, name: str) -> bytes:
    """A VCALENDAR of `events` (their exceptions prefetched)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Maillage//Agenda//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        add_event(calendar, event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# --- Feeds: each event's VEVENT text kept under its own version -------------------
#
# A feed of a year holds thousands of events; building each VEVENT with icalendar
# costs about a millisecond. The text of an event's components is kept in the cache
# under the event's primary key and version (read with the event in the same query,
# and replaced by every write to the event, its exceptions or its answers:
# `services.event_changed`), and the whole feed under a digest of all of them, so a
# stale or missing entry can only be a miss.

VEVENT_TTL = 7 * 24 * 3600


CHUNK = 500  # keys per cache call: each stays within the cache's short timeout


def _vevent_key(pk: int, version: int) -> str:
    return f"agenda:vevent:{pk}:{version}"


@guarded(default={})
def _kept(keys: list[str]) -> dict:
    found: dict = {}
    for i in range(0, len(keys), CHUNK):
        found.update(cache().get_many(keys[i : i + CHUNK]))
    return found


@guarded()
def _keep(texts: dict) -> None:
    if in_transaction():
        return  # what this transaction wrote may still be rolled back
    items = list(texts.items())
    for i in range(0, len(items), CHUNK):
        cache().set_many(dict(items[i : i + CHUNK]), VEVENT_TTL)


def _components_text(event: Event) -> bytes:
    calendar = Calendar()
    add_event(calendar, event)
    return b"".join(component.to_ical() for component in calendar.subcomponents)


def _body_key(versions: list, name: str) -> str:
    digest = hashlib.blake2b(
        repr((name, versions)).encode(), digest_size=20
    ).hexdigest()
    return f"agenda:feed:{digest}"


@guarded(default=None)
def _kept_body(key: str):
    return cache().get(key)


def feed_of(events, *, name: str) -> bytes:
    """The VCALENDAR of the `events` queryset. One light query reads each event's
    version and zone; the whole feed is kept under a digest of every (pk, version),
    else the texts kept under each event's version come from the cache, and only
    the other events are loaded whole and rendered."""
    versions = list(events.values_list("pk", "version", "timezone"))
    body_key = _body_key(versions, name)
    whole = _kept_body(body_key)
    if whole is not None:
        return whole
    keys = [_vevent_key(pk, version) for pk, version, _zone in versions]
    found = _kept(keys)
    missing_pks = [
        pk for (pk, *_), key in zip(versions, keys, strict=True) if key not in found
    ]
    missing: dict[str, bytes] = {}
    for i in range(0, len(missing_pks), 1000):
        for event in events.filter(pk__in=missing_pks[i : i + 1000]):
            missing[_vevent_key(event.pk, event.version)] = _components_text(event)
    head = Calendar()
    head.add("prodid", "-//Maillage//Agenda//FR")
    head.add("version", "2.0")
    head.add("calscale", "GREGORIAN")
    head.add("x-wr-calname", name)
    for zone_name in sorted({row[2] for row in versions}):
        head.add_component(_timezone(zone_name))
    text = head.to_ical()
    end = b"END:VCALENDAR\r\n"
    # An event changed between the two reads is left out of this answer (the
    # calendar's next poll has it), and the whole feed is then not kept.
    complete = all(key in found or key in missing for key in keys)
    body = b"".join(found.get(key) or missing.get(key, b"") for key in keys)
    feed = text[: -len(end)] + body + end
    if complete:
        _keep({body_key: feed})  # first: the next poll is then one cache read
    if missing:
        _keep(missing)
    return feed


@functools.cache
def _timezone(name: str):
    """The VTIMEZONE of a zone (its transitions over the years feeds cover)."""
    from icalendar import Timezone

    return Timezone.from_tzinfo(ZoneInfo(name), first_date=date(2000, 1, 1))


def feed_events(events):
    """What a feed holds: from a month ago to a year ahead."""
    now = timezone.now()
    return events.filter(
        last_end__gt=now - timedelta(days=31), first_start__lt=now + timedelta(days=366)
    ).order_by("first_start", "pk")


# --- In ------------------------------------------------------------------------------


@dataclass
class ImportLine:
    uid: str
    title: str
    outcome: str  # "created", "skipped", "rejected"
    reason: str = ""


def _parse(data: bytes) -> Calendar:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than 10 MB.")}, code="too_large"
        )
    if b"BEGIN:VCALENDAR" not in data[:1024].upper():
        raise ValidationError({"file": _("This is not an iCalendar (.ics) file.")})
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ValidationError(
            {"file": _("This iCalendar file does not parse: %(e)s") % {"e": error}}
        ) from error
    if calendar.name != "VCALENDAR":
        raise ValidationError({"file": _("This is not an iCalendar (.ics) file.")})
    return calendar


def _aware(value, default_zone: str) -> tuple[datetime, str, bool]:
    """(aware datetime, zone name, all day) of a DTSTART/DTEND value."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(default_zone)), default_zone, False
        key = getattr(value.tzinfo, "key", None)
        return value, key or default_zone, False
    if isinstance(value, date):
        tz = ZoneInfo(default_zone)
        return (
            datetime(value.year, value.month, value.day, tzinfo=tz),
            default_zone,
            True,
        )
    raise ValueError("not a date")


def import_ics(*, unit: Unit, by, data: bytes) -> list[ImportLine]:
    """Import an .ics file into the unit's agenda: every event created, skipped as a
    duplicate of a UID already there, or rejected with the reason. A file that is
    not iCalendar, or holds more than MAX_IMPORT events, is refused whole."""
    if not access.can(by, "event.create", unit):
        raise PermissionDenied("event.create")
    calendar = _parse(data)
    vevents = list(calendar.walk("VEVENT"))
    if len(vevents) > MAX_IMPORT:
        raise ValidationError(
            {
                "file": _(
                    "The file holds %(n)d events: at most %(max)d are imported at once."
                )
                % {"n": len(vevents), "max": MAX_IMPORT}
            }
        )
    masters: dict[str, VEvent] = {}
    overrides: dict[str, list[VEvent]] = {}
    lines: list[ImportLine] = []
    for vevent in vevents:
        uid = str(vevent.get("uid", "")).strip()
        if not uid:
            lines.append(
                ImportLine("", str(vevent.get("summary", "")), "rejected", _("No UID."))
            )
        elif "recurrence-id" in vevent:
            overrides.setdefault(uid, []).append(vevent)
        elif uid in masters:
            lines.append(
                ImportLine(
                    uid,
                    str(vevent.get("summary", "")),
                    "skipped",
                    _("The same UID twice in the file."),
                )
            )
        else:
            masters[uid] = vevent
    existing = set(
        Event.objects.filter(unit=unit, uid__in=list(masters)).values_list(
            "uid", flat=True
        )
    )
    with transaction.atomic():
        created = 0
        for uid, vevent in masters.items():
            title = str(vevent.get("summary", "")).strip()
            if uid in existing:
                lines.append(
                    ImportLine(uid, title, "skipped", _("Already in this agenda."))
                )
                continue
            try:
                with transaction.atomic():
                    _import_one(unit, by, uid, vevent, overrides.get(uid, []))
            except ValidationError as error:
                reason = "; ".join(
                    f"{field}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
                lines.append(ImportLine(uid, title, "rejected", reason))
            except (ValueError, TypeError, KeyError) as error:
                lines.append(ImportLine(uid, title, "rejected", str(error)))
            else:
                created += 1
                lines.append(ImportLine(uid, title, "created"))
        audit_record(
            actor=by,
            action="event.import",
            target=unit,
            unit=unit,
            data={
                outcome: sum(1 for line in lines if line.outcome == outcome)
                for outcome in ("created", "skipped", "rejected")
            },
        )
    return lines


def _import_one(unit: Unit, by, uid: str, vevent: VEvent, overrides: list) -> Event:
    if "dtstart" not in vevent:
        raise ValidationError({"dtstart": _("No start (DTSTART).")})
    start, zone_name, all_day = _aware(vevent.decoded("dtstart"), DEFAULT_TIMEZONE)
    if "dtend" in vevent:
        end = _aware(vevent.decoded("dtend"), zone_name)[0]
    elif "duration" in vevent:
        end = start + vevent.decoded("duration")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    rrule = vevent["rrule"].to_ical().decode() if "rrule" in vevent else ""
    status = str(vevent.get("status", "")).upper()
    description = str(vevent.get("description", ""))
    event = services.event_create(
        by=by,
        agenda=unit,
        uid=uid,
        title=str(vevent.get("summary", "")).strip()[:200],
        description=description[:10000],
        starts_at=start,
        ends_at=end,
        timezone_name=zone_name,
        all_day=all_day,
        place=str(vevent.get("location", ""))[:300],
        rrule=rrule,
        audit=False,
    )
    if event.rrule:
        tz = ZoneInfo(zone_name)
        exdates = vevent.get("exdate", [])
        for group in exdates if isinstance(exdates, list) else [exdates]:
            for item in group.dts:
                moment = _aware(item.dt, zone_name)[0].astimezone(UTC)
                OccurrenceException.objects.get_or_create(
                    event=event, original_start=moment, defaults={"cancelled": True}
                )
        for override in overrides:
            original = _aware(override.decoded("recurrence-id"), zone_name)[0]
            new_start = _aware(override.decoded("dtstart"), zone_name)[0]
            new_end = (
                _aware(override.decoded("dtend"), zone_name)[0]
                if "dtend" in override
                else new_start + event.duration
            )
            OccurrenceException.objects.update_or_create(
                event=event,
                original_start=original.astimezone(UTC),
                defaults={
                    "starts_at": new_start.astimezone(tz),
                    "ends_at": new_end.astimezone(tz),
                },
            )
        event.first_start, event.last_end = recurrence.span(
            event, event.exceptions.all()
        )
        event.save(update_fields=["first_start", "last_end"])
    if status == "CANCELLED":
        Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    services.event_changed(event)
    return event
