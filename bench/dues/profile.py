"""Profile the dues report pages in-process (pyinstrument), on the bench data.

    python bench/dues/profile.py [--database-url ...] [--unit national|section]
                                 [--requests 20] [--cold]

Runs the report page through Django's test client as the unit's treasurer, prints
the queries of one request (with their time) and pyinstrument's profile of
`--requests` requests. `--cold` empties the shared cache before each request (what a
treasurer sees after a payment bumped every version). Needs the `bench` extra
(pyinstrument).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.dues.generate import arg_parser, build_ledger  # noqa: E402


def main() -> int:
    parser = arg_parser("Dues: profile of the report pages")
    parser.add_argument("--unit", choices=["national", "section"], default="national")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--all", action="store_true", help="every frame")
    parser.add_argument("--path", default="", help="another page (default: report)")
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from bench import org
    from federation.models import Unit

    summary = org.build_org(members=args.members, verbose=False)
    build_ledger(summary, verbose=False)
    from organising.dues.models import UnitPeriodTotal
    from organising.dues.totals import totals_rebuild

    if not UnitPeriodTotal.objects.exists():  # COPY bypassed the services
        totals_rebuild()
    unit_id = summary.national_id if args.unit == "national" else summary.section_id
    unit = Unit.objects.get(pk=unit_id)
    path = args.path or f"/dues/u/{unit.slug}/report/"
    common.count_queries(path, user_id=summary.treasurers[args.unit])  # static files
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(pk=summary.treasurers[args.unit]))
    assert client.get(path).status_code == 200
    if args.cold:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    print(f"{path}: {len(ctx.captured_queries)} queries")
    for query in ctx.captured_queries:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
    profiler = Profiler(interval=0.0005)
    took = []
    profiler.start()
    for _ in range(args.requests):
        if args.cold:
            cache.clear()
        start = time.perf_counter()
        client.get(path)
        took.append((time.perf_counter() - start) * 1000)
    profiler.stop()
    took.sort()
    print(
        f"{args.requests} requests: median {took[len(took) // 2]:.1f} ms, "
        f"max {took[-1]:.1f} ms"
    )
    print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
