"""Totals of the ledger per unit and per ledger period, kept in step with it.

Each row of `UnitPeriodTotal` adds up the lines of a unit and of every unit below
it for one period: what was called, what was collected, the sum of each member's
shortfall and the sum of what members paid ahead. A member's shortfall is taken per
member, unit (the line's unit: the member's home cell when it was recorded) and
period, so the figures add up exactly from cells to the national unit.

`totals_apply(lines)` is called by the ledger services in the transaction that
writes the lines; `totals_from_ledger()` recomputes every row from the ledger alone
(`manage.py dues_totals` compares, and rebuilds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction

from federation.models import Unit

from .models import DUE_KINDS, LedgerLine, UnitPeriodTotal

CHUNK = 2000
FIELDS = ("expected_cents", "collected_cents", "outstanding_cents", "ahead_cents")
TABLE = UnitPeriodTotal._meta.db_table


@dataclass
class Sums:
    expected_cents: int = 0
    collected_cents: int = 0
    outstanding_cents: int = 0
    ahead_cents: int = 0

    def add(self, other: Sums) -> None:
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def values(self) -> tuple[int, int, int, int]:
        return tuple(getattr(self, name) for name in FIELDS)

    def is_zero(self) -> bool:
        return not any(self.values())


def member_sums(due: int, paid: int) -> Sums:
    """One member's figures on one unit and period."""
    return Sums(
        expected_cents=due,
        collected_cents=paid,
        outstanding_cents=max(0, due - paid),
        ahead_cents=max(0, paid - due),
    )


MAX_DEPTH = 12  # deeper than any tree here; a deeper unit fails loudly (KeyError)


def _ancestors(unit_ids: Iterable[int], unit_model=Unit) -> dict[int, list[int]]:
    """Each unit's id and its ancestors' ids, the unit first (one query: an
    ancestor's path is a prefix of the unit's, one step long per level)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    table = unit_model._meta.db_table
    prefixes = ", ".join(
        f"substr(u.path, 1, {depth * Unit.steplen})" for depth in range(1, MAX_DEPTH)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, u.depth, a.id, a.depth FROM {table} u "  # noqa: S608
            f"JOIN {table} a ON a.path IN ({prefixes}) "
            f"WHERE u.id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        rows = cursor.fetchall()
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    depths = {}
    for unit_id, depth, ancestor_id, ancestor_depth in rows:
        found[unit_id].append((ancestor_depth, ancestor_id))
        depths[unit_id] = depth
    out = {}
    for unit_id in ids:
        chain = sorted(found[unit_id], reverse=True)
        if len(chain) != depths.get(unit_id, -1):
            raise KeyError(f"unit {unit_id}: ancestors not found")
        out[unit_id] = [ancestor_id for _depth, ancestor_id in chain]
    return out


def _upsert(deltas: dict[tuple[int, date], Sums]) -> None:
    """Add `deltas` to the rows (created when missing), in a fixed order so that
    concurrent writers lock rows in the same order. An increment, never a value
    computed from a read: two writers both land."""
    keys = sorted(deltas)
    assignments = ", ".join(f"{f} = {TABLE}.{f} + EXCLUDED.{f}" for f in FIELDS)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for unit_id, period in chunk:
                params += [unit_id, period, *deltas[unit_id, period].values()]
            cursor.execute(
                f"INSERT INTO {TABLE} (unit_id, period, {', '.join(FIELDS)}) "  # noqa: S608
                f"VALUES {values} ON CONFLICT (unit_id, period) DO UPDATE SET "
                f"{assignments}",
                params,
            )


def _lock(keys: Iterable[tuple[int, date]]) -> None:
    """Create (at zero) and lock the rows about to change. Every writer of a period
    locks the row of the national unit for it, so that the ledger sums read next
    include every committed line of the same members (READ COMMITTED reads what
    was committed before each statement)."""
    _upsert({key: Sums() for key in keys})


def totals_apply(lines: Iterable[LedgerLine]) -> None:
    """Add lines just written to the ledger (in this transaction) to the totals of
    their unit and of every unit above it."""
    lines = list(lines)
    if not lines:
        return
    new: dict[tuple[int, int, date], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        figures = new[line.member_id, line.unit_id, line.period]
        figures[0 if line.kind in DUE_KINDS else 1] += line.amount_cents
    up = _ancestors({unit_id for _m, unit_id, _p in new})
    periods = {period for *_k, period in new}
    _lock({(ancestor, p) for u in up.values() for ancestor in u for p in periods})

    by_unit: dict[tuple[int, date], Sums] = defaultdict(Sums)
    members = sorted({member_id for member_id, *_k in new})
    for start in range(0, len(members), CHUNK):
        chunk = members[start : start + CHUNK]
        after = _ledger_sums(member_ids=chunk, periods=periods)
        in_chunk = set(chunk)
        for key, (due_new, paid_new) in new.items():
            if key[0] not in in_chunk:
                continue
            due, paid = after.get(key, (0, 0))
            delta = member_sums(due, paid)
            before = member_sums(due - due_new, paid - paid_new)
            delta.outstanding_cents -= before.outstanding_cents
            delta.ahead_cents -= before.ahead_cents
            delta.expected_cents, delta.collected_cents = due_new, paid_new
            by_unit[key[1], key[2]].add(delta)
    deltas: dict[tuple[int, date], Sums] = defaultdict(Sums)
    for (unit_id, period), delta in by_unit.items():
        for ancestor in up[unit_id]:
            deltas[ancestor, period].add(delta)
    _upsert(deltas)


_PER_MEMBER_SQL = """
SELECT member_id, unit_id, period,
       SUM(CASE WHEN kind IN ('charge', 'waiver') THEN amount_cents ELSE 0 END) AS due,
       SUM(CASE WHEN kind IN ('charge', 'waiver') THEN 0 ELSE amount_cents END)
           AS paid
FROM dues_ledgerline
WHERE {where}
GROUP BY member_id, unit_id, period
"""


def _ledger_sums(
    *, member_ids: list[int], periods: Iterable[date]
) -> dict[tuple[int, int, date], tuple[int, int]]:
    periods = sorted(periods)
    where = "member_id IN ({}) AND period IN ({})".format(
        ", ".join(["%s"] * len(member_ids)), ", ".join(["%s"] * len(periods))
    )
    with connection.cursor() as cursor:
        cursor.execute(_PER_MEMBER_SQL.format(where=where), [*member_ids, *periods])
        return {
            (m, u, _as_date(p)): (int(due), int(paid))
            for m, u, p, due, paid in cursor.fetchall()
        }


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- From the ledger alone -----------------------------------------------------------

_PER_UNIT_SQL = """
SELECT unit_id, period, SUM(due), SUM(paid),
       SUM(CASE WHEN due > paid THEN due - paid ELSE 0 END),
       SUM(CASE WHEN paid > due THEN paid - due ELSE 0 END)
FROM ({per_member}) AS per_member
GROUP BY unit_id, period
"""


def totals_from_ledger(*, unit_model=Unit, using=None) -> dict[tuple[int, date], Sums]:
    """Every row's figures recomputed from the ledger lines alone."""
    per_member = _PER_MEMBER_SQL.format(where="1 = 1")
    with (using or connection).cursor() as cursor:
        cursor.execute(_PER_UNIT_SQL.format(per_member=per_member))
        rows = cursor.fetchall()
    up = _ancestors({row[0] for row in rows}, unit_model)
    out: dict[tuple[int, date], Sums] = defaultdict(Sums)
    for unit_id, period, *figures in rows:
        sums = Sums(*(int(value) for value in figures))
        for ancestor in up[unit_id]:
            out[ancestor, _as_date(period)].add(sums)
    return dict(out)


def totals_stored() -> dict[tuple[int, date], Sums]:
    return {
        (row[0], row[1]): Sums(*row[2:])
        for row in UnitPeriodTotal.objects.values_list("unit_id", "period", *FIELDS)
    }


@dataclass(frozen=True)
class Difference:
    unit_id: int
    period: date
    stored: Sums
    ledger: Sums


def totals_differences() -> list[Difference]:
    """The rows whose stored figures differ from the ledger's (a row at zero counts
    as no row)."""
    ledger, stored = totals_from_ledger(), totals_stored()
    out = []
    for key in sorted(set(ledger) | set(stored)):
        a, b = stored.get(key, Sums()), ledger.get(key, Sums())
        if a.values() != b.values():
            out.append(Difference(key[0], key[1], a, b))
    return out


@transaction.atomic
def totals_rebuild() -> int:
    """Replace every row by the ledger's figures; returns the number of rows. Writers
    wait meanwhile (PostgreSQL: the table is locked), then add their lines on top."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")  # noqa: S608
    return fill_rows(unit_model=Unit, total_model=UnitPeriodTotal, using=connection)


def fill_rows(*, unit_model, total_model, using) -> int:
    """Empty the totals and write them from the ledger (the migration calls it with
    its historical models)."""
    ledger = totals_from_ledger(unit_model=unit_model, using=using)
    total_model.objects.all().delete()
    total_model.objects.bulk_create(
        [
            total_model(
                unit_id=unit_id,
                period=period,
                **dict(zip(FIELDS, sums.values(), strict=True)),
            )
            for (unit_id, period), sums in ledger.items()
            if not sums.is_zero()
        ],
        batch_size=5000,
    )
    return len(ledger)
