"""The occurrences of a range of events, kept in the cache under their versions.

A month of "my agenda" can hold two thousand events, a third of them recurring:
loading them whole and expanding their rules cost ~0.3 s (bench/agenda). Yet only
each event's version decides its occurrences in a window. So a window is read as:

1. one light query for the (pk, version) of the events in range (the caller's
   queryset: visibility and filters are PostgreSQL's, in this request);
2. the whole window's entries, kept under a digest of every (pk, version) and the
   window: one cache read when nothing changed;
3. otherwise each event's entries for the window, kept under (pk, version,
   window); only the events missing there are loaded and expanded.

A version is replaced (random, never reused) in the transaction of every change to
an event, its exceptions or its answers (`services.event_changed`), so what the
cache holds under an old version is never asked for: a stale, evicted, restored or
unreachable cache can only miss. Nothing read inside a transaction of our own is
kept (it may still be rolled back). The cache holds occurrences only, never who may
see them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.db.models import QuerySet

from organising.cached import cache, guarded, in_transaction

from . import recurrence

TTL = 24 * 3600
CHUNK = 500  # keys per cache call: each stays within the cache's short timeout
LOAD_CHUNK = 1000


# An entry is one occurrence without its event, enough to sort, count and choose
# what a page shows (`Agenda.take` turns the chosen ones into occurrences): a plain
# tuple (start, event pk, original start, end, moved), times as POSIX timestamps,
# because a month holds thousands and unpickling datetimes or named tuples cost
# several times more than the page's other work.
Entry = tuple[float, int, float, float, bool]
START, EVENT, ORIGINAL, END, MOVED = range(5)


def moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _window(start: datetime, end: datetime) -> str:
    return f"{start.timestamp():.0f}-{end.timestamp():.0f}"


def _event_key(pk: int, version: int, window: str) -> str:
    return f"agenda:occ:{pk}:{version}:{window}"


def _set_key(versions: list[tuple[int, int]], window: str) -> str:
    digest = hashlib.blake2b(repr(versions).encode(), digest_size=20).hexdigest()
    return f"agenda:occset:{window}:{digest}"


@guarded(default=None)
def _get(key: str):
    return cache().get(key)


@guarded(default={})
def _get_many(keys: list[str]) -> dict:
    found: dict = {}
    for i in range(0, len(keys), CHUNK):
        found.update(cache().get_many(keys[i : i + CHUNK]))
    return found


@guarded()
def _keep(values: dict) -> None:
    if in_transaction():
        return  # what this transaction read may still be rolled back
    items = list(values.items())
    for i in range(0, len(items), CHUNK):
        cache().set_many(dict(items[i : i + CHUNK]), TTL)


def expanded(event, start: datetime, end: datetime) -> list[Entry]:
    """The entries of one loaded event (exceptions in `exception_list`)."""
    return [
        (
            o.start.timestamp(),
            event.pk,
            o.original_start.timestamp(),
            o.end.timestamp(),
            o.moved,
        )
        for o in recurrence.expand([event], start, end)
    ]


def entries(events: QuerySet, start: datetime, end: datetime) -> list[Entry]:
    """The entries of `events` (already restricted to the range) overlapping
    [start, end), sorted by start then event."""
    from .selectors import load_events

    versions = list(events.order_by("pk").values_list("pk", "version"))
    if not versions:
        return []
    window = _window(start, end)
    set_key = _set_key(versions, window)
    whole = _get(set_key)
    if whole is not None:
        return whole
    keys = {pk: _event_key(pk, version, window) for pk, version in versions}
    found = _get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    computed: dict[str, list[Entry]] = {}
    for i in range(0, len(missing), LOAD_CHUNK):
        chunk = events.model.objects.filter(pk__in=missing[i : i + LOAD_CHUNK])
        for event in load_events(chunk):
            computed[_event_key(event.pk, event.version, window)] = expanded(
                event, start, end
            )
    result: list[Entry] = []
    complete = True
    for key in keys.values():
        if key in found:
            result.extend(found[key])
        elif key in computed:
            result.extend(computed[key])
        else:  # changed (or deleted) between the two reads: the next read has it
            complete = False
    result.sort()
    if complete:
        # The whole window first: one write that makes the next read one cache get
        # (the per-event writes after it may run past the cache's short timeout).
        _keep({set_key: result})
    _keep(computed)
    return result
