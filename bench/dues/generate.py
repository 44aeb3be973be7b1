"""Two years of monthly dues for the bench organisation, written with COPY.

    python bench/dues/generate.py [--database-url ...] [--members 100000]

For every adherent: a declared bracket (60 %), the dues called each month (24 charge
runs), and their payments: most pay every month, some stopped a few months ago, some
pay one month in two. Balances are computed here too, as the services would. About
2 million payments (entry + line each) and 2.2 million dues lines for 100,000 members.
Reused when already built with the same parameters (bench_meta key "dues").
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/maillage_dues_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
MONTHS = 24
VERSION = 1
METHODS = ["transfer", "transfer", "direct_debit", "direct_debit", "cash", "cheque"]


def arg_parser(description: str):
    parser = common.arg_parser(description)
    parser.set_defaults(database_url=DEFAULT_DATABASE_URL, redis_url=DEFAULT_REDIS_URL)
    return parser


def _meta(cursor, value: dict | None = None) -> dict | None:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb)"
    )
    if value is not None:
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('dues', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(value)],
        )
        return value
    cursor.execute("SELECT value FROM bench_meta WHERE key = 'dues'")
    row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def build_ledger(summary, *, seed: int = 7, verbose: bool = True) -> dict:
    """Build (or reuse) the dues of the bench organisation; returns what it holds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.org import _copy
    from members.models import Membership, User
    from organising.dues import periods as P
    from organising.dues.models import (
        Balance,
        Declaration,
        LedgerEntry,
        LedgerLine,
        Schedule,
    )
    from organising.dues.rates import load_schedules
    from organising.dues.services import BracketSpec, ReducedSpec, schedule_create

    this_month = timezone.localdate().replace(day=1)
    first = P.add_months(this_month, -(MONTHS - 1))
    params = {
        "org": summary.params,
        "months": MONTHS,
        "first": first.isoformat(),
        "seed": seed,
        "version": VERSION,
    }
    with connection.cursor() as cursor:
        stored = _meta(cursor)
    if stored and stored.get("params") == params:
        stored["built"] = False
        return stored

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name):
        phases[name] = round(time.perf_counter() - started - sum(phases.values()), 2)
        if verbose:
            print(f"  dues {name:<12} {phases[name]:7.2f} s", flush=True)

    with connection.cursor() as cursor:
        # The ledger refuses TRUNCATE (dues migration 0009) but from a connection
        # that says so: the bench's dues are rebuilt from nothing.
        cursor.execute("SET dues.allow_truncate = on")
        cursor.execute(
            "TRUNCATE dues_ledgerline, dues_ledgerentry, dues_balance, "
            "dues_declaration, "
            "dues_bracket, dues_reducedrate, dues_share, dues_schedule, dues_reminder, "
            "dues_importline, dues_import, dues_debit, dues_debitbatch, dues_mandate, "
            "dues_receipt, dues_receiptcounter, dues_declaredpayment, dues_exemption, "
            "dues_treasurersummary RESTART IDENTITY CASCADE"
        )
    national_treasurer = User.objects.get(pk=summary.treasurers["national"])
    schedule_create(
        by=national_treasurer,
        name="Barème bench",
        period=P.MONTHLY,
        valid_from=first,
        minimum_monthly_cents=500,
        brackets=[
            BracketSpec(0, 50),
            BracketSpec(100_000, 100),
            BracketSpec(200_000, 150),
            BracketSpec(400_000, 200),
        ],
        reduced=[ReducedSpec("student", 200), ReducedSpec("retired", 300, 150_000)],
        shares={0: 2500, 1: 2500, 2: 2500, 3: 2500},
    )
    loaded = load_schedules()[0]
    brackets = {b.lower_cents: b.pk for b in loaded.brackets}
    lap("schedule")

    rng = random.Random(seed)
    adherents = list(
        Membership.objects.current()
        .filter(status=Membership.Status.ADHERENT)
        .order_by("user_id")
        .values_list("user_id", "unit_id")
    )
    months = [P.add_months(first, i) for i in range(MONTHS)]
    today = timezone.localdate()
    now = timezone.now()
    # (user id, unit id, monthly cents, income floor, category, months paid)
    profiles = []
    for user_id, unit_id in adherents:
        floor = rng.choice(list(brackets)) if rng.random() < 0.6 else None
        category = "student" if floor == 0 and rng.random() < 0.3 else ""
        monthly = loaded.period_cents(income_floor_cents=floor, category=category)
        kind = rng.random()
        if kind < 0.80:
            paid = set(range(MONTHS))
        elif kind < 0.92:
            stopped = rng.randint(1, 6)
            paid = set(range(MONTHS - stopped))
        else:
            paid = {i for i in range(MONTHS) if rng.random() < 0.6}
        profiles.append((user_id, unit_id, monthly, floor, category, paid))
    lap("plan")

    root_id = summary.national_id
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's, for COPY
        _copy(
            cursor,
            Declaration,
            ["member_id", "bracket_id", "category", "declared_at"],
            (
                (user_id, brackets[floor], category, now - timedelta(days=800))
                for user_id, _u, _m, floor, category, _p in profiles
                if floor is not None
            ),
        )
        lap("declarations")
        # Charge runs: entries 1..24, one line per adherent and month.
        charge_rows = []
        for index, month in enumerate(months, start=1):
            total = sum(p[2] for p in profiles)
            charge_rows.append(
                (
                    index,
                    "charge",
                    None,
                    root_id,
                    total,
                    "",
                    None,
                    "",
                    "",
                    month.isoformat(),
                    "system",
                    f"charge:{month.isoformat()}:bench",
                    "",
                    None,
                    None,
                    datetime.combine(month, datetime.min.time(), tzinfo=UTC),
                )
            )
        entry_columns = [
            "id",
            "kind",
            "member_id",
            "unit_id",
            "amount_cents",
            "method",
            "paid_on",
            "cheque_number",
            "reference",
            "note",
            "source",
            "idempotency_key",
            "fingerprint",
            "reverses_id",
            "created_by_id",
            "created_at",
        ]
        _copy(cursor, LedgerEntry, entry_columns, iter(charge_rows))
        line_columns = [
            "id",
            "entry_id",
            "member_id",
            "unit_id",
            "period",
            "kind",
            "amount_cents",
        ]
        line_id = 0

        def charge_lines():
            nonlocal line_id
            for index, month in enumerate(months, start=1):
                for user_id, unit_id, monthly, *_ in profiles:
                    line_id += 1
                    yield (line_id, index, user_id, unit_id, month, "charge", monthly)

        charges = _copy(cursor, LedgerLine, line_columns, charge_lines())
        lap("charges")

        payment_plan = []
        entry_id = len(months)
        for user_id, unit_id, monthly, _f, _c, paid in profiles:
            for index in sorted(paid):
                month = months[index]
                entry_id += 1
                paid_on = min(today, month + timedelta(days=rng.randint(0, 20)))
                payment_plan.append(
                    (entry_id, user_id, unit_id, monthly, month, paid_on)
                )
        treasurer_id = summary.treasurers["national"]

        def payment_entries():
            for entry, user_id, unit_id, monthly, month, paid_on in payment_plan:
                method = METHODS[entry % len(METHODS)]
                yield (
                    entry,
                    "payment",
                    user_id,
                    unit_id,
                    monthly,
                    method,
                    paid_on,
                    f"{entry:07d}" if method == "cheque" else "",
                    "",
                    "",
                    "import",
                    f"bench:{user_id}:{month.isoformat()}",
                    "",
                    None,
                    treasurer_id,
                    datetime.combine(paid_on, datetime.min.time(), tzinfo=UTC),
                )

        payments = _copy(cursor, LedgerEntry, entry_columns, payment_entries())

        def payment_lines():
            nonlocal line_id
            for entry, user_id, unit_id, monthly, month, _paid_on in payment_plan:
                line_id += 1
                yield (line_id, entry, user_id, unit_id, month, "payment", monthly)

        _copy(cursor, LedgerLine, line_columns, payment_lines())
        lap("payments")

        def balances():
            for user_id, _u, monthly, _f, _c, paid in profiles:
                due = monthly * MONTHS
                paid_total = monthly * len(paid)
                covered = len(paid)  # oldest first: the first `covered` months
                first_unpaid = months[covered] if covered < MONTHS else None
                yield (user_id, due, paid_total, first_unpaid, now)

        _copy(
            cursor,
            Balance,
            ["member_id", "due_cents", "paid_cents", "first_unpaid", "updated_at"],
            balances(),
        )
        for table in ("dues_ledgerentry", "dues_ledgerline"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        lap("balances")
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map (index-only scans), as autovacuum would.
        cursor.execute("VACUUM ANALYZE")
    lap("analyze")
    info = {
        "params": params,
        "adherents": len(profiles),
        "charge_lines": charges,
        "payments": payments,
        "ledger_lines": charges + payments,
        "late_members": sum(1 for p in profiles if len(p[5]) < MONTHS - 1),
        "seconds": round(time.perf_counter() - started, 1),
        "phases": phases,
        "schedule_id": Schedule.objects.get().pk,
    }
    with connection.cursor() as cursor:
        _meta(cursor, info)
    info["built"] = True
    return info


def main() -> int:
    args = arg_parser("Dues: two years of monthly payments").parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from bench import org

    summary = org.build_org(members=args.members, verbose=True)
    info = build_ledger(summary)
    common.record("dues.data", {k: v for k, v in info.items() if k != "params"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
