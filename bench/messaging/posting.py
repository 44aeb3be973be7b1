"""Messaging: posting latency by audience size, and "in every timeline at once".

    python bench/messaging/posting.py [--members 100000] [--quick]

Posts go through the production stack (gunicorn, PostgreSQL, Redis; POST
/api/v1/posts/ with each author's Bearer token), one request at a time so that the
latency is the server's, each with its own body (identical bodies within seconds are
a double submit and answered with the first post). Authors: a member of a cell (to
their cell), and the secretaries of a section, a federation and the national level
(to their unit and everything below). The live announcement (Redis publish) is part
of the request. Right after each post, a member of a far cell under that unit reads
their home timeline: the post must be first (fan-out on read: no queue decides).
Results: bench/out/results/messaging.posting.json.
"""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.messaging._setup import prepare  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)


def main() -> int:
    args, summary, _info = prepare(__doc__.splitlines()[0])
    from federation.models import Unit
    from members.models import Membership

    count = 20 if args.quick else 60
    units = {
        "cell": summary.cell_id,
        "section": summary.section_id,
        "federation": summary.federation_id,
        "national": summary.national_id,
    }
    paths = dict(Unit.objects.filter(pk__in=units.values()).values_list("pk", "path"))

    def members_below(unit_id: int) -> int:
        return (
            Membership.objects.current()
            .filter(unit__path__startswith=paths[unit_id])
            .count()
        )

    def far_reader(unit_id: int) -> int:
        """A member of the last cell under the unit (not the author's cell)."""
        return (
            Membership.objects.current()
            .filter(unit__path__startswith=paths[unit_id], status="adherent")
            .exclude(unit_id=summary.cell_id)
            .order_by("-unit__path", "user_id")
            .values_list("user_id", flat=True)
            .first()
        ) or summary.sample_members[summary.cell_id][1]

    cell_author = summary.sample_members[summary.cell_id][0]
    authors = {
        "cell": cell_author,
        "section": summary.secretaries["section"],
        "federation": summary.secretaries["federation"],
        "national": summary.secretaries["national"],
    }
    figures: dict = {}
    # One author posts 63 times a minute here: the per-member and per-network
    # limits on posts (10/m, 60/m by default) would answer 429.
    no_limits = {"RATE_LIMIT_POST": "", "RATE_LIMIT_POST_NETWORK": ""}
    with common.serve(
        "gunicorn",
        database_url=args.database_url,
        redis_url=args.redis_url,
        env=no_limits,
    ) as base:
        for level, unit_id in units.items():
            token = common.api_token(authors[level], name=f"bench posting {level}")
            reader = far_reader(unit_id) if level != "cell" else cell_author
            reader_token = common.api_token(reader, name="bench reader")
            audience = "unit" if level == "cell" else "unit_tree"
            latencies, seen_first = [], 0
            stamp = int(time.time())
            for n in range(count + 3):
                body = json.dumps(
                    {
                        "body": f"Bench post {stamp}-{n} to the {level} #bench",
                        "audience": audience,
                        "audience_unit": unit_id,
                    }
                )
                t0 = time.perf_counter()
                status, _headers, data = common.fetch(
                    f"{base}/api/v1/posts/",
                    method="POST",
                    headers={"Authorization": f"Bearer {token}"},
                    body=body,
                    content_type="application/json",
                )
                elapsed = (time.perf_counter() - t0) * 1000
                if status != 201:
                    raise common.BenchError(f"POST answered {status}: {data[:300]!r}")
                if n < 3:
                    continue  # warm-up
                latencies.append(elapsed)
                post_id = json.loads(data)["id"]
                status, _headers, data = common.fetch(
                    f"{base}/api/v1/timelines/home/?page_size=1",
                    headers={"Authorization": f"Bearer {reader_token}"},
                )
                first = json.loads(data)["results"]
                seen_first += bool(first) and first[0]["id"] == post_id
            figures[level] = {
                "members_reached": members_below(unit_id),
                "posts": len(latencies),
                "p50_ms": percentile(latencies, 0.5),
                "p95_ms": percentile(latencies, 0.95),
                "max_ms": round(max(latencies), 1),
                "mean_ms": round(statistics.mean(latencies), 1),
                "first_in_far_member_timeline": f"{seen_first}/{len(latencies)}",
            }
    common.record("messaging.posting", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
