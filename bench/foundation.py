"""Foundation benchmark: the unit page and the units API against the bare view.

    python bench/foundation.py [--members 100000] [--quick] [--asgi]

Builds (or reuses) the bench organisation, then, for each target URL:
- counts the SQL queries of one request in this process (Django test client, after a
  warm-up request), anonymous, as a member (session) or with a Bearer token;
- serves the site with gunicorn (2 sync workers, DEBUG off) and measures requests/s and
  p50/p95/p99 latency: 3 runs of 1,000 requests over 8 connections, the median run kept
  (--quick: one run of 300); logged-in targets rotate over 16 members' sessions.
With --asgi (default unless --quick) the bare view and the cell page are also measured
under uvicorn (2 workers) and daphne (1 process), the comparison behind the WSGI/ASGI
split in ARCHITECTURE.md. Results: bench/out/results/foundation.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

CONCURRENCY = 8


def main(argv: list[str] | None = None) -> int:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument(
        "--asgi",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also measure uvicorn and daphne (default: yes unless --quick)",
    )
    args = parser.parse_args(argv)
    requests = args.requests or (300 if args.quick else 1000)
    repeat = 1 if args.quick else 3
    asgi = (not args.quick) if args.asgi is None else args.asgi

    common.django_setup(args.database_url, args.redis_url)
    from bench import org
    from federation.models import Unit

    summary = org.build_org(members=args.members, migrate=not args.no_migrate)
    slug = dict(
        Unit.objects.filter(
            pk__in=[
                summary.national_id,
                summary.federation_id,
                summary.section_id,
                summary.cell_id,
            ]
        ).values_list("pk", "slug")
    )
    national, federation = slug[summary.national_id], slug[summary.federation_id]
    section, cell = slug[summary.section_id], slug[summary.cell_id]

    # Ordinary members (no office) of the sample cells, one session each.
    viewers = [uid for ids in summary.sample_members.values() for uid in ids[:2]][:16]
    if not viewers:
        viewers = [summary.secretaries["cell"]]
    sessions = [common.session_cookies(uid) for uid in viewers]
    token = common.api_token(viewers[0], name="bench foundation")
    bearer = {"Authorization": f"Bearer {token}"}

    # (name, path, who): who is None (anonymous), "member" or "token".
    targets = [
        ("bare", "/bench/bare/", None),
        ("bare.member", "/bench/bare/", "member"),
        ("unit.national", f"/units/{national}/", None),
        ("unit.federation", f"/units/{federation}/", None),
        ("unit.section", f"/units/{section}/", None),
        ("unit.cell", f"/units/{cell}/", None),
        ("unit.cell.member", f"/units/{cell}/", "member"),
        ("unit.national.member", f"/units/{national}/", "member"),
        ("my_units.member", "/units/", "member"),
        ("api.units", "/api/v1/units/", None),
        ("api.units.children", f"/api/v1/units/?parent={federation}", None),
        ("api.unit.cell", f"/api/v1/units/{cell}/", None),
        ("api.units.token", "/api/v1/units/", "token"),
    ]

    figures: dict = {
        "org": {
            "members": summary.counts["members"],
            "units": summary.counts["units"],
            "build_seconds": summary.seconds,
            "built_now": summary.built,
        }
    }
    queries: dict[str, int] = {}
    for name, path, who in targets:
        counted = common.count_queries(
            path,
            user_id=viewers[0] if who == "member" else None,
            headers=bearer if who == "token" else None,
        )
        if counted.status != 200:
            raise common.BenchError(f"{name}: {path} answered {counted.status}")
        queries[name] = counted.count

    def load(base: str, name: str, path: str, who: str | None) -> dict:
        result = common.measure(
            base + path,
            cookies=sessions if who == "member" else None,
            headers=bearer if who == "token" else None,
            requests=requests,
            concurrency=CONCURRENCY,
            repeat=repeat,
        )
        row = {**result.as_dict(), "queries": queries[name]}
        print(f"  {name:<28} {common.format_result(row)}", flush=True)
        return row

    print(
        f"gunicorn, 2 sync workers, {requests} requests x {repeat} per target"
        " (median run):",
        flush=True,
    )
    with common.serve(
        "gunicorn", database_url=args.database_url, redis_url=args.redis_url
    ) as base:
        for name, path, who in targets:
            figures[f"gunicorn.{name}"] = load(base, name, path, who)

    if asgi:
        for kind, workers in (("uvicorn", 2), ("daphne", 1)):
            print(f"{kind}, {workers} process(es):", flush=True)
            with common.serve(
                kind,
                database_url=args.database_url,
                redis_url=args.redis_url,
                workers=workers,
            ) as base:
                for name, path, who in targets:
                    if name in ("bare", "unit.cell"):
                        figures[f"{kind}.{name}"] = load(base, name, path, who)

    common.record("foundation", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
