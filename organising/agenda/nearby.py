"""Events near me: the public and party events of the coming weeks, nearest first.

"Near" is read from the territories of the units (federation `Territory`: the
communes and postcodes each unit covers), since the tree holds no coordinates:
first the events of units that cover my commune, then those of units in my
département (the postcode's first two characters), then the others. My places are
the territories of my cell, or of the first unit above it that has some. Events
that carry a position (latitude, longitude) are also put on a map when a tile
server is configured (settings.MAP_TILES_URL).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from federation import access
from federation.models import Audience, Territory

from . import selectors
from .models import Event

DAYS = 60
CANDIDATES = 300  # the first occurrences looked at: the page stays bounded
SHOWN = 50
HERE, DEPARTEMENT, ELSEWHERE = 0, 1, 2


@dataclass(frozen=True)
class Nearby:
    places: list[Territory]  # my communes (empty: no territory up my tree)
    groups: list[tuple[int, list]]  # (HERE | DEPARTEMENT | ELSEWHERE, items)


def departement(postcode: str) -> str:
    """The département of a French postcode: 20xxx is Corsica (2A, 2B), 97x/98x
    overseas use three characters."""
    code = postcode.strip()
    if code[:2] in ("97", "98"):
        return code[:3]
    return code[:2]


def my_places(user) -> list[Territory]:
    chain = access.viewer_for(user).home_chain_ids
    if not chain:
        return []
    rows = list(  # my cell first, then upwards
        Territory.objects.filter(unit_id__in=chain).order_by("-unit__depth", "commune")
    )
    return [t for t in rows if t.unit_id == rows[0].unit_id] if rows else []


def near(user) -> Nearby:
    """The coming public and party events I may see, in three bands of nearness,
    each by start."""
    places = my_places(user)
    now = timezone.now()
    events = selectors._base(user).filter(
        audience__in=[Audience.PUBLIC, Audience.PARTY]
    )
    found = selectors.agenda(
        user,
        events.filter(status=Event.Status.PLANNED),
        start=now,
        end=now + timedelta(days=DAYS),
    )
    found.take(found.entries[:CANDIDATES], with_counts=False)
    owners = {_owner_id(o.event) for o in found.occurrences}
    communes = {(t.postcode, t.commune.casefold()) for t in places}
    departements = {departement(t.postcode) for t in places}
    covered: dict[int, int] = defaultdict(lambda: ELSEWHERE)
    if places and owners:
        condition = Q(postcode__in={p for p, _c in communes})
        for code in departements:
            condition |= Q(postcode__startswith=code)
        for unit_id, postcode, commune in Territory.objects.filter(
            condition, unit_id__in=owners
        ).values_list("unit_id", "postcode", "commune"):
            band = (
                HERE
                if (postcode, commune.casefold()) in communes
                else DEPARTEMENT
                if departement(postcode) in departements
                else ELSEWHERE
            )
            covered[unit_id] = min(covered[unit_id], band)
    bands: dict[int, list] = defaultdict(list)
    for item in found.items:
        bands[covered[_owner_id(item.occurrence.event)]].append(item)
    shown, groups = 0, []
    for band in (HERE, DEPARTEMENT, ELSEWHERE):
        items = bands.get(band, [])[: max(SHOWN - shown, 0)]
        shown += len(items)
        if items:
            groups.append((band, items))
    return Nearby(places=places, groups=groups)


def _owner_id(event) -> int:
    return event.unit_id or event.group.unit_id


def markers(nearby: Nearby) -> list[dict]:
    """What the map shows: the events that carry a position (JSON-ready)."""
    seen, out = set(), []
    for _band, items in nearby.groups:
        for item in items:
            event, occurrence = item.occurrence.event, item.occurrence
            if event.latitude is None or event.pk in seen:
                continue
            seen.add(event.pk)
            out.append(
                {
                    "lat": float(event.latitude),
                    "lon": float(event.longitude),
                    "title": event.title,
                    "url": f"{event.get_absolute_url()}?at={occurrence.key}",
                    "when": timezone.localtime(occurrence.start).strftime(
                        "%d/%m %H:%M"
                    ),
                }
            )
    return out
