"""Prove that the totals reports read (per unit and period) and the members'
balances match the ledger; rebuild them from it with --rebuild.

    manage.py dues_totals             # exit 1 and print the differences if any
    manage.py dues_totals --rebuild   # recompute both from the ledger, then check
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from federation.models import Unit
from organising.dues import totals
from organising.dues.models import Balance, LedgerLine
from organising.dues.services import balances_refresh
from organising.dues.services.ledger import _BALANCE_SQL, _as_date

SHOWN = 50
CHUNK = 2000


class Command(BaseCommand):
    help = "Check (or --rebuild) the dues totals and balances against the ledger."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Recompute the totals and the balances from the ledger first.",
        )

    def handle(self, *args, rebuild: bool = False, **options):
        if rebuild:
            rows = totals.totals_rebuild()
            members = _members()
            for start in range(0, len(members), CHUNK):
                balances_refresh(members[start : start + CHUNK])
            self.stdout.write(
                f"Rebuilt {rows} totals and {len(members)} balances from the ledger."
            )
        differences = totals.totals_differences()
        slugs = dict(
            Unit.objects.filter(pk__in={d.unit_id for d in differences}).values_list(
                "pk", "slug"
            )
        )
        for d in differences[:SHOWN]:
            self.stdout.write(
                f"total {slugs.get(d.unit_id, d.unit_id)} {d.period:%Y-%m}: stored "
                f"{_figures(d.stored)}, ledger {_figures(d.ledger)}"
            )
        balance_differences = _balance_differences()
        for member_id, stored, ledger in balance_differences[:SHOWN]:
            self.stdout.write(
                f"balance of member {member_id}: stored {stored}, ledger {ledger}"
            )
        count = len(differences) + len(balance_differences)
        if count:
            raise CommandError(
                f"{len(differences)} totals and {len(balance_differences)} balances "
                "differ from the ledger (run with --rebuild to recompute them)."
            )
        self.stdout.write(self.style.SUCCESS("Totals and balances match the ledger."))


def _figures(sums: totals.Sums) -> str:
    return ", ".join(
        f"{name.removesuffix('_cents')} {value}"
        for name, value in zip(totals.FIELDS, sums.values(), strict=True)
    )


def _members() -> list[int]:
    ids = set(LedgerLine.objects.values_list("member_id", flat=True).distinct())
    ids |= set(Balance.objects.values_list("member_id", flat=True))
    return sorted(ids)


def _balance_differences() -> list[tuple[int, tuple, tuple]]:
    """(member, stored, from the ledger) for each balance that differs: what was
    called, paid, and the first period not covered."""
    out = []
    members = _members()
    for start in range(0, len(members), CHUNK):
        chunk = members[start : start + CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(
                _BALANCE_SQL.format(ids=", ".join(["%s"] * len(chunk))), chunk
            )
            ledger = {
                row[0]: (int(row[1] or 0), int(row[2] or 0), _as_date(row[3]))
                for row in cursor.fetchall()
            }
        stored = {
            b[0]: b[1:]
            for b in Balance.objects.filter(member_id__in=chunk).values_list(
                "member_id", "due_cents", "paid_cents", "first_unpaid"
            )
        }
        for member_id in chunk:
            a = stored.get(member_id, (0, 0, None))
            b = ledger.get(member_id, (0, 0, None))
            if tuple(a) != tuple(b):
                out.append((member_id, tuple(a), tuple(b)))
    return out
