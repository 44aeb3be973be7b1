"""Agenda benchmark: "my agenda" for a member who sees 10,000 events across the tree
(their cell, section, federation and the national level; a third recurring weekly),
among 20,000 more they do not see.

    python bench/agenda/month.py [--database-url postgres://.../maillage_bench_agenda]
                                 [--events 10000] [--quick]

Prints (and saves to bench/out/results/agenda.json), in-process (Django test client,
DEBUG off, PostgreSQL + Redis), over N requests each:
- the month view: median and p95 server time, and its query count;
- beside it the one hand-written SQL query that selects the same events for the same
  month (range and audience conditions, no expansion, no rendering);
- the list view (two months) and the occurrences API for the month;
- the member's private iCalendar feed (a month back to a year ahead): median, p95.
Goals (issue 13): month view p95 < 50 ms and within 2x the hand-written query; the
feed < 200 ms; query counts that do not grow with the number of events.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/maillage_bench_agenda"

HAND_WRITTEN = """
SELECT e.id, e.public_id, e.title, e.kind, e.status, e.starts_at, e.ends_at,
       e.timezone, e.rrule, e.place, u.name
FROM agenda_event e
LEFT JOIN federation_unit u ON u.id = e.unit_id
WHERE e.first_start < %(end)s AND e.last_end > %(start)s
  AND (e.unit_id = ANY(%(chain)s) OR e.audience_unit_id = ANY(%(chain)s)
       OR e.id IN (SELECT event_id FROM agenda_rsvp WHERE user_id = %(user)s))
  AND (e.audience IN ('public', 'party')
       OR (e.audience = 'unit_tree' AND e.audience_unit_id = ANY(%(chain)s))
       OR (e.audience = 'unit' AND e.audience_unit_id = %(home)s))
ORDER BY e.first_start
"""


def _build(events: int) -> dict:
    """An empty database gets a tree (1 national, 10 federations x 4 sections x 4
    cells), a member in one cell and the events; the same size again reuses them."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from federation.models import Level, Unit
    from members.models import Membership, User
    from organising.agenda import recurrence
    from organising.agenda.models import Event

    member = User.objects.filter(email="agenda-bench@example.org").first()
    visible_wanted = events
    if member is not None and Event.objects.count() == visible_wanted * 3:
        home = Membership.objects.current().get(user=member).unit
        return {"member": member, "home": home}
    with transaction.atomic():
        Event.objects.all().delete()
        Membership.objects.all().delete()
        User.objects.filter(email="agenda-bench@example.org").delete()
        Unit.objects.all().delete()
        levels = []
        for depth, name in enumerate(["National", "Fédération", "Section", "Cellule"]):
            levels.append(
                Level.objects.get_or_create(
                    depth=depth, defaults={"name": name, "plural": name, "slug": name}
                )[0]
            )

        def unit(name, parent=None):
            slug = f"bench-{name}".lower().replace(" ", "-")
            fields = {
                "name": name,
                "slug": slug,
                "uri": f"{settings.SITE_URL}/u/{slug}",
            }
            if parent is None:
                return Unit.add_root(level=levels[0], **fields)
            return parent.add_child(level=levels[parent.depth], **fields)

        national = unit("National")
        cells = []
        for f in range(10):
            fed = unit(f"Fed {f}", national)
            for s in range(4):
                section = unit(f"Section {f}-{s}", fed)
                for c in range(4):
                    cells.append(unit(f"Cell {f}-{s}-{c}", section))
        home = cells[0]
        section = Unit.objects.get(path=home.ancestor_paths[-1])
        fed = Unit.objects.get(path=home.ancestor_paths[-2])
        member = User.objects.create_user(
            "agenda-bench@example.org", "agenda-bench", display_name="Bench"
        )
        Membership.objects.create(user=member, unit=home, status="adherent")
        rng = random.Random(13)
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        chain = [(national, "party"), (fed, "unit_tree"), (section, "unit_tree")]
        chain.append((home, "unit_tree"))
        others = [c for c in cells[1:]]

        def event(owner, audience, n):
            start = now + timedelta(
                days=rng.randint(-180, 180), hours=rng.randint(0, 12)
            )
            rule = f"FREQ=WEEKLY;COUNT={rng.randint(4, 26)}" if n % 3 == 0 else ""
            e = Event(
                unit=owner,
                audience=audience,
                audience_unit=owner if audience != "party" else None,
                title=f"Event {n}",
                kind=rng.choice(Event.Kind.values),
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                rrule=rule,
                uid=f"bench-{n}@bench",
                place="Salle des fêtes",
            )
            e.first_start, e.last_end = recurrence.span(e)
            return e

        rows = [event(*chain[n % 4], n) for n in range(visible_wanted)]
        rows += [
            event(rng.choice(others), "unit", visible_wanted + n)
            for n in range(visible_wanted * 2)
        ]
        Event.objects.bulk_create(rows, batch_size=2000)
    return {"member": member, "home": home}


@contextlib.contextmanager
def _counted():
    """The SQL statements run inside the block (every connection of this thread)."""
    from django.db import connections

    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        for conn in connections.all():
            stack.enter_context(conn.execute_wrapper(count))
        yield statements


def _times(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _figures(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "n": len(samples),
    }


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.set_defaults(database_url=DEFAULT_DB)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    common.collectstatic()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from federation import access
    from organising.agenda import selectors, services
    from organising.agenda.models import Event

    with common.timed() as built:
        world = _build(args.events)
    member, home = world["member"], world["home"]
    runs = 10 if args.quick else 40
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(member)
    day = timezone.localdate()
    month_url = f"/agenda/?view=month&day={day:%Y-%m-%d}"
    list_url = f"/agenda/?view=list&day={day:%Y-%m-%d}"
    tz = timezone.get_current_timezone()
    start, end, _weeks = selectors.month_bounds(day, tz)
    api_url = f"/api/v1/occurrences/?from={start.date()}&to={end.date()}"
    assert client.get(month_url).status_code == 200
    with _counted() as month_queries:
        response = client.get(month_url)
    cards = response.content.decode().count('class="occurrence')
    chain = sorted(access.viewer_for(member).home_chain_ids)

    def hand_written():
        with connection.cursor() as cursor:
            cursor.execute(
                HAND_WRITTEN,
                {
                    "start": start,
                    "end": end,
                    "chain": chain,
                    "user": member.pk,
                    "home": home.pk,
                },
            )
            return cursor.fetchall()

    events_in_month = len(hand_written())
    token = services.feed_token_regenerate(user=member)
    feed_url = f"/agenda/feed/{token}.ics"
    assert client.get(feed_url).status_code == 200
    with _counted() as feed_queries:
        feed = client.get(feed_url)
    figures = {
        "events_total": Event.objects.count(),
        "events_visible": args.events,
        "events_in_month (hand-written query rows)": events_in_month,
        "occurrence_cards_in_month_view": cards,
        "build_s": round(built.seconds, 1),
        "month_view": _figures(_times(lambda: client.get(month_url), runs)),
        "month_view_queries": len(month_queries),
        "hand_written_sql": _figures(_times(hand_written, runs)),
        "list_view_2_months": _figures(_times(lambda: client.get(list_url), runs)),
        "occurrences_api_month": _figures(_times(lambda: client.get(api_url), runs)),
        "private_feed_year": _figures(_times(lambda: client.get(feed_url), runs)),
        "private_feed_queries": len(feed_queries),
        "private_feed_kb": round(len(feed.content) / 1024),
    }
    common.record("agenda", figures)


if __name__ == "__main__":
    main()
