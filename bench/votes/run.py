"""Votes benchmark: a national consultation of the bench organisation (100,000
members in 10,000 cells; its adherents are the electorate).

    flock /tmp/maillage-bench.lock python bench/votes/run.py \
        [--database-url postgres://.../maillage_bench_votes] [--members 100000] \
        [--processes 4] [--ballots N] [--quick]

Prints (and saves to bench/out/results/votes.json):
- opening: the time to fix the electorate (the snapshot of every adherent);
- casting: ballots per second accepted by the service layer
  (`services.ballot_cast`, the production code path: policy, electorate, the
  participation's unique constraint, the ballot, the live announcement) from
  `--processes` concurrent voter processes against PostgreSQL; each process also
  retries ballots of members another process votes for, at the same time: every
  retry must be refused, and the count must equal the distinct voters;
- counting: the full result with the breakdown by every unit (`results.compute`,
  as closing runs it) against one hand-written SQL aggregate of the same ballots
  (GROUP BY unit and choice), each the median of 5 runs, in the same run.
Goals (issue 14): >= 500 ballots/s, none counted twice; the result within 2x the
hand-written aggregate.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/maillage_bench_votes"


def _voter_process(vote_id: int, member_ids: list[int], retry_ids: list[int], out):
    """Cast one ballot for each member id, and try again for `retry_ids` (ballots
    another process is casting): counts (accepted, refused, errors, seconds)."""
    from django.core.exceptions import ValidationError
    from django.db import connections

    from members.models import User
    from organising.votes import services
    from organising.votes.models import Vote

    connections.close_all()
    vote = Vote.objects.get(pk=vote_id)
    rng = random.Random(os.getpid())
    users = User.objects.in_bulk([*member_ids, *retry_ids])
    plan = [(pk, False) for pk in member_ids] + [(pk, True) for pk in retry_ids]
    rng.shuffle(plan)
    accepted = refused = errors = 0
    cpu_before = os.times()
    started = time.perf_counter()
    for pk, _is_retry in plan:
        try:
            services.ballot_cast(vote=vote, by=users[pk], choices=[rng.randrange(4)])
            accepted += 1
        except ValidationError:
            refused += 1
        except Exception:  # noqa: BLE001 - counted and reported
            errors += 1
    cpu = os.times()
    cpu_seconds = (cpu.user - cpu_before.user) + (cpu.system - cpu_before.system)
    out.put((accepted, refused, errors, time.perf_counter() - started, cpu_seconds))
    connections.close_all()


def main() -> None:
    parser = common.arg_parser("Votes: a national consultation")
    parser.set_defaults(
        database_url=os.environ.get("BENCH_VOTES_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--ballots", type=int, default=0, help="0: every elector")
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)

    from django.db import connection, connections
    from django.utils import timezone

    from bench import org
    from federation.models import Unit
    from members.models import User
    from organising.votes import results, services
    from organising.votes.models import Ballot, Elector, Participation, Vote

    summary = org.build_org(members=args.members, migrate=not args.no_migrate)
    national_secretary = User.objects.get(pk=summary.secretaries["national"])
    national = Unit.objects.get(pk=summary.national_id)
    Vote.objects.filter(subject="bench.votes").delete()
    now = timezone.now()
    vote = services.vote_create(
        by=national_secretary,
        title="Consultation nationale",
        kind="single",
        options=["Option A", "Option B", "Option C", "Option D"],
        unit=national,
        opens_at=now + timedelta(minutes=1),
        closes_at=now + timedelta(days=7),
        subject="bench.votes",
    )
    with common.timed() as opening:
        vote = services.vote_open(vote=vote, by=national_secretary)
    electors = list(
        Elector.objects.filter(vote=vote)
        .order_by("?")
        .values_list("member_id", flat=True)
    )
    count = args.ballots or len(electors)
    if args.quick:
        count = min(count, 5000)
    voters = electors[:count]
    slices = [voters[i :: args.processes] for i in range(args.processes)]
    # Each process also retries 2% of the next process's voters, concurrently.
    retries = [
        slices[(i + 1) % args.processes][: max(1, len(slices[i]) // 50)]
        for i in range(args.processes)
    ]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    load_before = os.getloadavg()
    started = time.perf_counter()
    processes = [
        context.Process(
            target=_voter_process, args=(vote.pk, slices[i], retries[i], out)
        )
        for i in range(args.processes)
    ]
    for process in processes:
        process.start()
    outcomes = [out.get() for _ in processes]
    for process in processes:
        process.join()
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    accepted = sum(o[0] for o in outcomes)
    refused = sum(o[1] for o in outcomes)
    errors = sum(o[2] for o in outcomes)
    voter_cpu = sum(o[4] for o in outcomes)
    ballots = Ballot.objects.filter(vote=vote).count()
    participations = Participation.objects.filter(vote=vote).count()

    def median_seconds(fn, runs=5):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    def hand_written():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ballot_unit_id, mask, by_proxy, count(*) FROM votes_ballot"
                " WHERE vote_id = %s GROUP BY 1, 2, 3",
                [vote.pk],
            )
            return cursor.fetchall()

    vote.refresh_from_db()
    full = results.compute(vote)
    sums_ok = (
        full.ballots == ballots
        and sum(full.votes) == ballots
        and all(sum(r.votes) == r.ballots for r in full.breakdown)
    )
    cells = [r for r in full.breakdown if r.depth == 4]
    compute_s = median_seconds(lambda: results.compute(vote))
    sql_s = median_seconds(hand_written)
    common.record(
        "votes",
        {
            "electorate": vote.electorate_size,
            "units_in_breakdown": len(full.breakdown),
            "cells_in_breakdown": len(cells),
            "opening_seconds": round(opening.seconds, 2),
            "processes": args.processes,
            "ballots_accepted": accepted,
            "retries_refused": refused,
            "errors": errors,
            "ballots_in_box": ballots,
            "participations": participations,
            "none_counted_twice": ballots == participations == accepted == len(voters),
            "ballots_per_second": round(accepted / wall, 1),
            "cast_wall_seconds": round(wall, 1),
            # What the voter processes themselves spent: the capacity of the
            # service layer per core, less sensitive to others' load than the wall.
            "voter_cpu_seconds": round(voter_cpu, 1),
            "ballots_per_voter_cpu_second": round(accepted / voter_cpu, 1)
            if voter_cpu
            else None,
            "result_with_breakdown_ms": round(compute_s * 1000, 1),
            "hand_written_aggregate_ms": round(sql_s * 1000, 1),
            "ratio": round(compute_s / sql_s, 2) if sql_s else None,
            "breakdown_sums_equal_totals": sums_ok,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
        },
    )


if __name__ == "__main__":
    main()
