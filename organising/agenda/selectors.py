"""Reads of the agenda: which events an agenda holds, their occurrences in a range,
the member's answers and the counts per answer.

A range costs a fixed number of queries whatever the number of events: the events
(with their units), their exceptions, the member's answers, the counts. Occurrences
are expanded in Python (`recurrence.expand`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone

from federation import access
from federation.models import Audience, Group, Unit

from . import recurrence, windows
from .models import Event, OccurrenceException, Rsvp

MAX_RANGE = timedelta(days=400)  # a year and a bit: the feeds' span


def _in_range(queryset: QuerySet, start: datetime, end: datetime) -> QuerySet:
    return queryset.filter(first_start__lt=end, last_end__gt=start)


# What cards, feeds and the policy read of an event and its units: a month holds
# thousands of events, and the units' descriptions are not needed to list them.
_RELATED_FIELDS = (
    "unit__name",
    "unit__slug",
    "unit__path",
    "unit__depth",
    "group__name",
    "group__slug",
    "group__unit_id",
    "audience_unit__path",
    "audience_unit__depth",
    "audience_group__name",
)


def _base(user) -> QuerySet:
    event_fields = [
        f.attname
        for f in Event._meta.concrete_fields
        if f.name not in ("description", "created_at")
    ]
    return (
        Event.objects.filter(access.visible_filter(user))
        .select_related("unit", "group", "audience_unit", "audience_group")
        .only(*event_fields, *_RELATED_FIELDS)
        .prefetch_related("exceptions")
    )


_LIGHT_FIELDS = [
    f.attname
    for f in Event._meta.concrete_fields
    if f.name not in ("description", "created_at")
]


def load_events(queryset: QuerySet, *, exceptions: bool = True) -> list[Event]:
    """The events of `queryset` as Event instances built from plain rows, their units
    and groups loaded once each and (with `exceptions`) their exceptions as
    `exception_list` (four queries at most). A month can hold thousands of events:
    Django's model loading with joined units cost ten times the rows' own reading
    (bench/agenda). The instances are
    complete but for the description, which is read on first use."""
    rows = list(queryset.prefetch_related(None).values(*_LIGHT_FIELDS))
    unit_ids = {r[k] for r in rows for k in ("unit_id", "audience_unit_id")} - {None}
    group_ids = {r[k] for r in rows for k in ("group_id", "audience_group_id")} - {None}
    units = Unit.objects.only(*_UNIT_FIELDS).in_bulk(unit_ids) if unit_ids else {}
    groups = Group.objects.only(*_GROUP_FIELDS).in_bulk(group_ids) if group_ids else {}
    events = []
    for row in rows:
        event = Event.__new__(Event)
        event.__dict__.update(row)
        event._state = ModelState()
        event._state.adding, event._state.db = False, queryset.db
        cache = event._state.fields_cache
        cache["unit"] = units.get(row["unit_id"])
        cache["audience_unit"] = units.get(row["audience_unit_id"])
        cache["group"] = groups.get(row["group_id"])
        cache["audience_group"] = groups.get(row["audience_group_id"])
        events.append(event)
    # Exceptions in one query, as plain lists (a prefetch builds a queryset per event).
    by_event = defaultdict(list)
    if events and exceptions:
        for exception in OccurrenceException.objects.filter(
            event_id__in=[event.pk for event in events]
        ):
            by_event[exception.event_id].append(exception)
    for event in events if exceptions else ():
        event.exception_list = by_event.get(event.pk, [])
    return events


_UNIT_FIELDS = ("id", "name", "slug", "path", "depth", "level_id")
_GROUP_FIELDS = ("id", "name", "slug", "unit_id")


def mine(user) -> QuerySet:
    """My agenda: the events of my units (my cell and every unit above it, among
    those I may see: what they address to "this unit and below", the party or the
    public), what was published for one of them, my groups, the units where I hold
    an office, and every event I answered."""
    viewer = access.viewer_for(user)
    units = set(viewer.home_chain_ids) | set(viewer.office_unit_ids)
    condition = Q(unit_id__in=units) | Q(audience_unit_id__in=units)
    if viewer.group_ids:
        condition |= Q(group_id__in=viewer.group_ids)
    if viewer.user_id is not None:
        condition |= Q(
            pk__in=Rsvp.objects.filter(user_id=viewer.user_id).values("event_id")
        )
    return _base(user).filter(condition)


def of_unit(user, unit: Unit) -> QuerySet:
    """A unit's agenda: its own events and what the units above it address to "this
    unit and below", among what `user` may see."""
    above = Unit.objects.filter(path__in=[*unit.ancestor_paths, unit.path])
    return _base(user).filter(
        Q(unit=unit)
        | Q(audience=Audience.UNIT_TREE, audience_unit__in=above)
        | Q(audience_unit=unit)
    )


def of_group(user, group: Group) -> QuerySet:
    """A group's agenda: its events, among what `user` may see."""
    return _base(user).filter(group=group)


def public(user) -> QuerySet:
    return _base(user).filter(audience=Audience.PUBLIC)


@dataclass
class Agenda:
    """The entries of a range (every occurrence, without its event: `windows`), the
    occurrences a page shows (`take`), the member's answers and the counts."""

    user: object
    start: datetime
    end: datetime
    entries: list[windows.Entry]
    occurrences: list[recurrence.Occurrence] = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # (event pk, original start) -> Rsvp
    counts: dict = field(default_factory=dict)  # (event pk, original start) -> dict

    def take(
        self, entries, *, load: bool = True, with_counts: bool = True
    ) -> list[recurrence.Occurrence]:
        """The occurrences of these entries, their events loaded (four queries at
        most), then (with `load`) the member's answers and their counts."""
        ids = {entry[windows.EVENT] for entry in entries}
        loaded = load_events(Event.objects.filter(pk__in=ids), exceptions=False)
        events = {e.pk: e for e in loaded} if ids else {}
        self.occurrences = [
            recurrence.Occurrence(
                events[event_id],
                windows.moment(original),
                windows.moment(start),
                windows.moment(end),
                moved,
            )
            for start, event_id, original, end, moved in entries
            if event_id in events
        ]
        if load:
            self.load(self.occurrences, with_counts=with_counts)
        return self.occurrences

    def load(self, occurrences, *, with_counts: bool = True) -> None:
        """Read the member's answers and the counts of these occurrences."""
        if not occurrences:
            return
        event_ids = {o.event.pk for o in occurrences}
        starts = {o.original_start for o in occurrences}
        if self.user.is_authenticated:
            for rsvp in Rsvp.objects.filter(
                user=self.user, event_id__in=event_ids, occurrence_start__in=starts
            ):
                self.answers[(rsvp.event_id, rsvp.occurrence_start)] = rsvp
        if with_counts:
            self.counts.update(answer_counts(event_ids, starts))

    def item(self, occurrence) -> Item:
        key = (occurrence.event.pk, occurrence.original_start)
        return Item(
            occurrence,
            self.answers.get(key),
            self.counts.get(key, {}),
            can_rsvp=access.can(self.user, "event.rsvp", occurrence.event),
        )

    @property
    def items(self) -> list[Item]:
        return [self.item(occurrence) for occurrence in self.occurrences]

    def by_day(self, tz) -> dict[date, list[windows.Entry]]:
        """The entries by the day they start on in `tz` (one pass over the sorted
        entries against the window's midnights: a month holds thousands)."""
        days: dict[date, list] = defaultdict(list)
        if not self.entries:
            return days
        day = entry_day(self.entries[0], tz)
        following = _at_midnight(day + timedelta(days=1), tz).timestamp()
        for entry in self.entries:
            if entry[windows.START] >= following:
                day = entry_day(entry, tz)
                following = _at_midnight(day + timedelta(days=1), tz).timestamp()
            days[day].append(entry)
        return days


def entry_day(entry: windows.Entry, tz) -> date:
    """The day an entry starts on, in `tz`."""
    return datetime.fromtimestamp(entry[windows.START], tz).date()


@dataclass(frozen=True)
class Item:
    """What a card shows: an occurrence, my answer to it, the counts per answer."""

    occurrence: recurrence.Occurrence
    answer: Rsvp | None
    counts: dict
    can_rsvp: bool = False


def agenda(
    user,
    events: QuerySet,
    *,
    start: datetime,
    end: datetime,
    kind: str | None = None,
    unit: Unit | None = None,
) -> Agenda:
    """The entries of `events` in [start, end), filtered by kind and by the unit
    whose agenda holds them (that unit and below): one light query, then the cache
    (`windows`). A page then `take`s the entries it shows."""
    end = min(end, start + MAX_RANGE)
    events = _in_range(events, start, end)
    if kind:
        events = events.filter(kind=kind)
    if unit is not None:
        events = events.filter(
            Q(unit__path__startswith=unit.path)
            | Q(group__unit__path__startswith=unit.path)
        )
    return Agenda(
        user=user, start=start, end=end, entries=windows.entries(events, start, end)
    )


def answer_counts(event_ids, starts) -> dict:
    """{(event pk, occurrence start): {"going": n, "maybe": n, "not_going": n,
    "waiting": n}} over answers in force (guests once confirmed)."""
    counts: dict = defaultdict(dict)
    rows = (
        Rsvp.objects.filter(event_id__in=event_ids, occurrence_start__in=starts)
        .exclude(user__isnull=True, confirmed_at__isnull=True)
        .values("event_id", "occurrence_start", "answer", "waiting")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        key = "waiting" if row["waiting"] else row["answer"]
        counts[(row["event_id"], row["occurrence_start"])][key] = row["n"]
    return counts


def next_occurrences(user, *, limit: int = 5) -> Agenda:
    """What comes next in my agenda (the home page's block): the next 60 days."""
    now = timezone.now()
    found = agenda(
        user,
        mine(user).exclude(status=Event.Status.CANCELLED),
        start=now,
        end=now + timedelta(days=60),
    )
    found.take(found.entries[:limit], with_counts=False)
    return found


def month_bounds(day: date, tz) -> tuple[datetime, datetime, list[list[date]]]:
    """The weeks (Monday first) covering `day`'s month, and their span."""
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = next_month + timedelta(days=(7 - next_month.weekday()) % 7)
    days = [grid_start + timedelta(days=n) for n in range((grid_end - grid_start).days)]
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return _at_midnight(grid_start, tz), _at_midnight(grid_end, tz), weeks


def week_bounds(day: date, tz) -> tuple[datetime, datetime, list[date]]:
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=n) for n in range(7)]
    return _at_midnight(monday, tz), _at_midnight(monday + timedelta(days=7), tz), days


def _at_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tz)


def attendees(event: Event, original_start: datetime) -> QuerySet:
    """Everyone who answered one occurrence, in the order they answered."""
    return (
        Rsvp.objects.filter(event=event, occurrence_start=original_start)
        .select_related("user")
        .order_by("answered_at", "pk")
    )
