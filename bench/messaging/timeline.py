"""Messaging: the home timeline served by the production stack, beside the bare view.

    python bench/messaging/timeline.py [--members 100000] [--posts 1000000] [--quick]

On the generated org (bench/org.py) with its posts and follows (bench/messaging/
_data.py), for members of ordinary cells (each request as another member):
- SQL queries of one request (first page, a page 60 days back, the API with 10 and
  100 items per page): the count must not move with page size or position;
- server time: p50/p95 with 2 connections on 2 gunicorn sync workers (no queueing,
  so the latency is the server's), and requests/s at saturation (8 connections),
  for /bench/bare/ (one SQL query), /timeline/ (first page of 30), the page 60 days
  back, and /api/v1/timelines/home/, all in the same run. Each member asks for the
  same pages again, so these are served from the store after the first read;
  "60_days_back.first_reads" asks each time for a page not read before (a cursor
  one microsecond apart): what building an old page costs.
Results: bench/out/results/messaging.timeline.json.
"""

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.messaging._setup import prepare  # noqa: E402


def main() -> int:
    args, summary, info = prepare(__doc__.splitlines()[0])
    from organising.messaging.selectors import Cursor

    requests = 300 if args.quick else 1500
    repeat = 1 if args.quick else 3
    viewers = [uid for ids in summary.sample_members.values() for uid in ids[:2]][:16]
    sessions = [common.session_cookies(uid) for uid in viewers]
    sixty_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    deep = Cursor(created=sixty_days_ago, id=10**12).encode()
    never_read = [
        "/timeline/?before="
        + Cursor(
            created=sixty_days_ago - dt.timedelta(microseconds=n), id=10**12
        ).encode()
        for n in range(1, 20_001)
    ]
    token = common.api_token(viewers[0], name="bench timeline")
    targets = {  # name: (path, headers, paths taken in turn)
        "bare": ("/bench/bare/", None, None),
        "home.first_page": ("/timeline/", None, None),
        "home.60_days_back": (f"/timeline/?before={deep}", None, None),
        "home.60_days_back.first_reads": (never_read[0], None, never_read),
        "api.home": (
            "/api/v1/timelines/home/",
            {"Authorization": f"Bearer {token}"},
            None,
        ),
    }
    figures: dict = {
        "posts": info.posts,
        "follows": info.follows,
        "members": summary.counts["members"],
    }
    counts = {
        "home.first_page": common.count_queries("/timeline/", user_id=viewers[0]),
        "home.60_days_back": common.count_queries(
            f"/timeline/?before={deep}", user_id=viewers[0]
        ),
        "api.page_size_10": common.count_queries(
            "/api/v1/timelines/home/?page_size=10", user_id=viewers[0]
        ),
        "api.page_size_100": common.count_queries(
            "/api/v1/timelines/home/?page_size=100", user_id=viewers[0]
        ),
        "home.60_days_back.first_read": common.count_queries(
            never_read[-1], user_id=viewers[0], warm=False
        ),
        "home.national_secretary": common.count_queries(
            "/timeline/", user_id=summary.secretaries["national"]
        ),
    }
    figures["queries"] = {name: count.count for name, count in counts.items()}
    with common.serve(
        "gunicorn", database_url=args.database_url, redis_url=args.redis_url
    ) as base:
        for name, (path, headers, paths) in targets.items():
            cookies = None if headers else sessions
            latency = common.measure(
                base + path,
                cookies=cookies,
                headers=headers,
                paths=paths,
                requests=requests // 2,
                concurrency=2,
                repeat=repeat,
            )
            throughput = common.measure(
                base + path,
                cookies=cookies,
                headers=headers,
                paths=paths and paths[len(paths) // 2 :],  # not those read above
                requests=requests,
                concurrency=8,
                repeat=repeat,
            )
            figures[name] = {
                **throughput.as_dict(),
                "server_p50_ms": latency.p50_ms,
                "server_p95_ms": latency.p95_ms,
            }
    bare_rps = figures["bare"]["rps"]
    for name in targets:
        if name != "bare":
            figures[name]["share_of_bare_rps"] = round(
                figures[name]["rps"] / bare_rps, 2
            )
    common.record("messaging.timeline", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
