"""Dues benchmark: reports up the tree over two years of monthly payments (read from
the totals kept with the ledger), beside the full recomputation from the ledger, and
a 10,000-line import.

    python bench/dues/run.py [--database-url postgres://.../maillage_dues_bench]
                             [--members 100000] [--quick] [--no-import]

Prints (and saves to bench/out/results/dues.json):
- the totals: how long rebuilding them from the whole ledger takes (once, when the
  data were just generated) and how long `manage.py dues_totals` (the proof that
  they match the ledger) takes;
- national report (breakdown by federation): median time of the report computation
  in-process, page p50/p95 through gunicorn (goal: p95 under 200 ms), beside the
  full recomputation from the ledger (`FULL_SQL`: each member's shortfall on the
  period, by child unit, plus the 24 months: what a correct report costs without
  the totals) and the old hand-written `GROUP BY period, ROLLUP(federation)`;
- section report (breakdown by cell): the same (goal: page p95 under 50 ms);
- query counts of the national and section report pages and of the members page;
- the report pages in-process with the shared cache emptied before each request
  (what the first treasurer after a payment waits: the figures computed and
  rendered), beside the bare view's page in the same run;
- a 20,000-line CSV import (the most a file may hold) through the background jobs
  as a worker runs them (preview, then confirm: each line idempotent), with the
  growth of the process's peak memory, and the same file again (every line
  already recorded, nothing added).
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.dues.generate import arg_parser, build_ledger  # noqa: E402

HAND_WRITTEN = """
SELECT l.period,
       substr(u.path, 1, %(child)s) AS child,
       SUM(l.amount_cents) FILTER (WHERE l.kind IN ('charge', 'waiver')) AS expected,
       SUM(l.amount_cents) FILTER (WHERE l.kind IN ('payment', 'reversal', 'return'))
           AS collected
FROM dues_ledgerline l
JOIN federation_unit u ON u.id = l.unit_id
WHERE u.path LIKE %(prefix)s AND l.period BETWEEN %(first)s AND %(last)s
GROUP BY l.period, ROLLUP (substr(u.path, 1, %(child)s))
"""


# The report's figures from the ledger alone: the period's expected, collected,
# outstanding (each member's shortfall) and paid ahead by child, and the 24 months.
FULL_SQL = """
WITH per_member AS (
  SELECT l.member_id, l.unit_id, substr(u.path, 1, %(child)s) AS child,
         SUM(l.amount_cents) FILTER (WHERE l.kind IN ('charge', 'waiver')) AS due,
         SUM(l.amount_cents) FILTER (WHERE l.kind NOT IN ('charge', 'waiver'))
             AS paid
  FROM dues_ledgerline l JOIN federation_unit u ON u.id = l.unit_id
  WHERE u.path LIKE %(prefix)s AND l.period = %(last)s
  GROUP BY l.member_id, l.unit_id, substr(u.path, 1, %(child)s)
)
SELECT child, SUM(due), SUM(paid),
       SUM(GREATEST(0, COALESCE(due, 0) - COALESCE(paid, 0))),
       SUM(GREATEST(0, COALESCE(paid, 0) - COALESCE(due, 0)))
FROM per_member GROUP BY ROLLUP (child)
"""


def timed_runs(function, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _load() -> str:
    """The load averages (1, 5, 15 minutes) beside the figures: a shared machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ms(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def main() -> int:
    parser = arg_parser("Dues reports and imports")
    parser.add_argument("--no-import", action="store_true", help="reports only")
    parser.add_argument("--import-lines", type=int, default=20_000)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.db import connection

    from bench import org
    from federation.models import Unit
    from members.models import Membership, User
    from organising.dues import periods as P
    from organising.dues import services
    from organising.dues.models import LedgerEntry
    from organising.dues.reports import CHART_MONTHS, unit_report

    summary = org.build_org(members=args.members, verbose=True)
    data = build_ledger(summary)
    quick = args.quick
    national = Unit.objects.get(pk=summary.national_id)
    section = Unit.objects.get(pk=summary.section_id)
    from django.utils import timezone

    period = timezone.localdate().replace(day=1)
    first = P.add_months(period, -(CHART_MONTHS - 1))
    figures: dict = {
        "ledger_lines": data["ledger_lines"],
        "payments": data["payments"],
        "charge_lines": data["charge_lines"],
        "adherents": data["adherents"],
        "uptime_load_before": _load(),
    }

    # 0. The totals: rebuilt from the ledger when the data are new (COPY bypasses
    # the services), then proved to match it.
    from django.core.management import call_command

    from organising.dues.models import UnitPeriodTotal
    from organising.dues.totals import totals_rebuild

    if data.get("built") or not UnitPeriodTotal.objects.exists():
        with common.timed() as rebuild:
            rows = totals_rebuild()
        figures["totals_rebuild_s"] = round(rebuild.seconds, 1)
        figures["totals_rows"] = rows
    with common.timed() as check:
        call_command("dues_totals")
    figures["totals_check_s"] = round(check.seconds, 1)

    # 1. In-process: the report computation beside the hand-written aggregate.
    def hand_written(unit):
        with connection.cursor() as cursor:
            cursor.execute(
                HAND_WRITTEN,
                {
                    "child": (unit.depth + 1) * unit.steplen,
                    "prefix": unit.path + "%",
                    "first": first,
                    "last": period,
                },
            )
            return cursor.fetchall()

    def full(unit):
        with connection.cursor() as cursor:
            cursor.execute(
                FULL_SQL,
                {
                    "child": (unit.depth + 1) * unit.steplen,
                    "prefix": unit.path + "%",
                    "last": period,
                },
            )
            rows = cursor.fetchall()
        return rows, hand_written(unit)

    runs = 3 if quick else 7
    unit_report(unit=national, period=period)  # warm caches
    hand_written(national)
    full(national)
    figures["national_full_recompute_ms"] = ms(timed_runs(lambda: full(national), runs))
    figures["section_full_recompute_ms"] = ms(
        timed_runs(lambda: full(section), runs * 3)
    )
    national_report = timed_runs(
        lambda: unit_report(unit=national, period=period), runs
    )
    national_sql = timed_runs(lambda: hand_written(national), runs)
    figures["national_report_compute_ms"] = ms(national_report)
    figures["national_hand_written_sql_ms"] = ms(national_sql)
    figures["national_ratio"] = round(ms(national_report) / ms(national_sql), 2)
    section_report = timed_runs(
        lambda: unit_report(unit=section, period=period), runs * 5
    )
    figures["section_report_compute_ms"] = ms(section_report)
    figures["section_hand_written_sql_ms"] = ms(
        timed_runs(lambda: hand_written(section), runs * 5)
    )
    report = unit_report(unit=national, period=period)
    rows, _months = full(national)
    sql_total = next(r for r in rows if r[0] is None)
    figures["report_equals_sql"] = [
        report.totals.expected_cents,
        report.totals.collected_cents,
        report.totals.outstanding_cents,
        report.totals.ahead_cents,
    ] == [int(v or 0) for v in sql_total[1:]]

    # 2. Query counts of the pages (in-process, Django's test client).
    treasurers = summary.treasurers
    figures["queries_national_report"] = common.count_queries(
        f"/dues/u/{national.slug}/report/", user_id=treasurers["national"]
    ).count
    figures["queries_section_report"] = common.count_queries(
        f"/dues/u/{section.slug}/report/", user_id=treasurers["section"]
    ).count
    figures["queries_section_members"] = common.count_queries(
        f"/dues/u/{section.slug}/", user_id=treasurers["section"]
    ).count

    # 2b. In-process, nothing cached: before each request the versions of the unit
    # and of its children move, as payments in each of them would do, so the
    # figures and every count are computed and rendered again.
    from django.db.models import F
    from django.test import Client

    from organising.dues.models import UnitVersion

    def cold_page(unit, user_id: int, runs: int) -> list[float]:
        path = f"/dues/u/{unit.slug}/report/"
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(User.objects.get(pk=user_id))
        client.get(path)
        below = Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
        ids = [unit.pk, *below.values_list("pk", flat=True)]
        UnitVersion.objects.bulk_create(
            [UnitVersion(unit_id=i) for i in ids], ignore_conflicts=True
        )

        def one():
            UnitVersion.objects.filter(unit_id__in=ids).update(version=F("version") + 1)
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            return (time.perf_counter() - start) * 1000

        return [one() for _ in range(runs)]

    figures["national_page_uncached_inprocess_ms"] = ms(
        cold_page(national, treasurers["national"], runs)
    )
    figures["section_page_uncached_inprocess_ms"] = ms(
        cold_page(section, treasurers["section"], runs * 3)
    )

    # 3. Through gunicorn: server time of the pages.
    with common.serve(
        "gunicorn", 8844, database_url=args.database_url, redis_url=args.redis_url
    ) as base:
        cookies = common.session_cookies(treasurers["national"])
        national_page = common.measure(
            f"{base}/dues/u/{national.slug}/report/",
            cookies=cookies,
            requests=50 if quick else 300,
            concurrency=1,
            warmup=5,
            max_seconds=120,
        )
        cookies = common.session_cookies(treasurers["section"])
        section_url = f"{base}/dues/u/{section.slug}/report/"
        # One request at a time: the server time of the page (the goal's p95).
        section_page = common.measure(
            section_url, cookies=cookies, requests=200 if quick else 1000, concurrency=1
        )
        bare_page = common.measure(
            f"{base}/bench/bare/", requests=200, concurrency=1, max_seconds=60
        )
        # Two at a time, one per core: what two treasurers at once see.
        section_page_c2 = common.measure(
            section_url, cookies=cookies, requests=200 if quick else 1000, concurrency=2
        )
    figures["national_report_page"] = national_page.as_dict()
    # The machine is shared: the bare view (one SQL query) measured in the same
    # minute says how loaded it was.
    figures["bare_view_page"] = bare_page.as_dict()
    figures["national_page_vs_sql"] = round(national_page.p50_ms / ms(national_sql), 2)
    figures["section_report_page"] = section_page.as_dict()
    figures["section_report_page_c2"] = section_page_c2.as_dict()
    figures["uptime_load_after_pages"] = _load()
    figures["goals"] = {
        "national_page_p95_under_200_ms": national_page.p95_ms < 200,
        "section_page_p95_under_50_ms": section_page.p95_ms < 50,
    }
    if args.no_import:
        common.record("dues", figures)
        return 0

    # 4. A 20,000-line import through its background jobs, each line idempotent,
    # then the same file again.
    import resource
    from unittest import mock

    from organising.dues import tasks
    from organising.dues.services.imports import (
        import_confirm_run,
        import_preview_run,
    )

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    members = list(
        Membership.objects.current()
        .filter(status=Membership.Status.ADHERENT)
        .order_by("user_id")
        .values_list("user__email", flat=True)[: args.import_lines]
    )
    run_id = uuid.uuid4().hex[:8]
    today = timezone.localdate().isoformat()
    lines = ["email;montant;date;reference"] + [
        f"{email};12,00;{today};bench-{run_id}-{index}"
        for index, email in enumerate(members)
    ]
    content = ("\n".join(lines) + "\n").encode()
    treasurer = User.objects.get(pk=treasurers["national"])

    def through_jobs() -> dict:
        """Upload, preview job, confirm job, as the page and a worker run them (the
        jobs are called here rather than queued: no worker listens)."""
        out = {}
        with (
            mock.patch.object(tasks.import_preview_task, "delay"),
            mock.patch.object(tasks.import_confirm_task, "delay"),
        ):
            with common.timed() as upload:
                batch = services.import_create(
                    unit=national, by=treasurer, filename="bench.csv", content=content
                )
            base = peak_mb()
            with common.timed() as preview:
                import_preview_run(batch_id=batch.pk)
            out["preview_peak_growth_mb"] = round(peak_mb() - base, 1)
            batch.refresh_from_db()
            assert batch.job_state == "done", batch.job_error
            with common.timed() as start:
                batch = services.import_confirm_start(batch=batch, by=treasurer)
            base = peak_mb()
            with common.timed() as confirm:
                import_confirm_run(batch_id=batch.pk)
            out["confirm_peak_growth_mb"] = round(peak_mb() - base, 1)
            batch.refresh_from_db()
        out.update(
            upload_s=round(upload.seconds, 2),
            preview_job_s=round(preview.seconds, 2),
            confirm_start_s=round(start.seconds, 2),
            confirm_job_s=round(confirm.seconds, 2),
            job_state=batch.job_state,
            job_error=batch.job_error,
            recorded=batch.counts.get("recorded_now"),
            duplicates=batch.counts.get("duplicate"),
        )
        return out

    figures["import_lines"] = len(members)
    figures["import_process_peak_mb_before"] = round(peak_mb(), 1)
    before = LedgerEntry.objects.count()
    figures["import"] = through_jobs()
    figures["import_recorded_in_ledger"] = LedgerEntry.objects.count() - before
    figures["import_again"] = through_jobs()
    figures["import_process_peak_mb_after"] = round(peak_mb(), 1)
    figures["uptime_load"] = _load()
    common.record("dues", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
