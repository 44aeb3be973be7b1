"""The totals reports read are kept in step with every kind of ledger write, in the
same transaction; `manage.py dues_totals` proves they match the ledger (and exits
non-zero with the differences when they do not) and rebuilds them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from members.models import Membership
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import Balance, LedgerLine, UnitPeriodTotal
from organising.dues.totals import totals_differences, totals_from_ledger

from .conftest import pay, this_month

# The national unit's totals for one period, from the ledger lines alone.
NATIONAL_SQL = """
SELECT COALESCE(SUM(due), 0), COALESCE(SUM(paid), 0),
       COALESCE(SUM(CASE WHEN due > paid THEN due - paid ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN paid > due THEN paid - due ELSE 0 END), 0)
FROM (
  SELECT member_id, unit_id,
         SUM(CASE WHEN kind IN ('charge', 'waiver') THEN amount_cents ELSE 0 END)
             AS due,
         SUM(CASE WHEN kind IN ('charge', 'waiver') THEN 0 ELSE amount_cents END)
             AS paid
  FROM dues_ledgerline WHERE period = %s GROUP BY member_id, unit_id
) AS per_member
"""


def stored(unit, period):
    row = UnitPeriodTotal.objects.filter(unit=unit, period=period).first()
    if row is None:
        return (0, 0, 0, 0)
    return (
        row.expected_cents,
        row.collected_cents,
        row.outstanding_cents,
        row.ahead_cents,
    )


def from_sql(period):
    with connection.cursor() as cursor:
        cursor.execute(NATIONAL_SQL, [period])
        return tuple(int(v) for v in cursor.fetchone())


@pytest.fixture
def writes(tree, schedule, make_member, section_treasurer, national_treasurer):
    """Every kind of ledger write: dues called, payments (oldest first, ahead,
    stated periods), a correction, an exemption waiving called dues, an import."""
    members = [make_member(tree.cell_a1x) for _ in range(3)] + [
        make_member(tree.cell_b1x) for _ in range(2)
    ]
    Membership.objects.update(started_on=P.add_months(this_month(), -2))
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    pay(members[0], section_treasurer, "p0", 4000)
    wrong = pay(members[1], section_treasurer, "p1", 700).entry
    services.entry_reverse(
        entry=wrong, by=section_treasurer, reason="wrong member", idempotency_key="r1"
    )
    pay(members[3], national_treasurer, "p3", 1000, periods=[this_month()])
    services.exemption_grant(
        member=members[4],
        by=national_treasurer,
        starts_on=P.add_months(this_month(), -1),
        reason="hardship",
    )
    content = (
        f"email;montant;date\n{members[2].email};7,50;{this_month().isoformat()}\n"
    ).encode()
    batch = services.import_create(
        unit=tree.section_a1, by=section_treasurer, filename="r.csv", content=content
    )
    services.import_confirm(batch=batch, by=section_treasurer)
    return members


def test_every_kind_of_write_keeps_the_totals_in_step(tree, writes):
    assert totals_differences() == []
    for offset in (2, 1, 0):
        period = P.add_months(this_month(), -offset)
        assert stored(tree.national, period) == from_sql(period)
    national = stored(tree.national, this_month())
    children = [stored(u, this_month()) for u in (tree.fed_a, tree.fed_b)]
    assert national == tuple(sum(c[i] for c in children) for i in range(4))
    out = StringIO()
    call_command("dues_totals", stdout=out)
    assert "match the ledger" in out.getvalue()


def test_the_command_shows_differences_and_rebuilds(tree, writes):
    UnitPeriodTotal.objects.filter(unit=tree.section_a1, period=this_month()).update(
        outstanding_cents=F("outstanding_cents") + 1
    )
    UnitPeriodTotal.objects.filter(unit=tree.cell_b1x).delete()
    Balance.objects.filter(member=writes[0]).update(paid_cents=1)
    out = StringIO()
    with pytest.raises(CommandError, match="differ from the ledger"):
        call_command("dues_totals", stdout=out)
    text = out.getvalue()
    assert f"total {tree.section_a1.slug} {this_month():%Y-%m}" in text
    assert f"total {tree.cell_b1x.slug}" in text
    assert f"balance of member {writes[0].pk}" in text
    out = StringIO()
    call_command("dues_totals", "--rebuild", stdout=out)
    assert "match the ledger" in out.getvalue()
    assert totals_differences() == []
    assert Balance.objects.get(member=writes[0]).paid_cents == 4000


def test_a_failed_write_leaves_no_total_behind(tree, schedule, member, treasurer):
    before = totals_from_ledger()
    with pytest.raises(RuntimeError), transaction.atomic():
        pay(member, treasurer, "k", 1200)
        assert stored(tree.national, this_month())[1] == 1200
        raise RuntimeError
    assert totals_from_ledger() == before
    assert stored(tree.national, this_month()) == (0, 0, 0, 0)


def test_lines_created_one_by_one_count_too(tree, schedule, member, treasurer):
    entry = pay(member, treasurer, "k", 500).entry
    LedgerLine.objects.create(
        entry=entry,
        member=member,
        unit=tree.cell_a1x,
        period=this_month(),
        kind="payment",
        amount_cents=300,
    )
    assert stored(tree.national, this_month())[1] == 800
    assert totals_differences() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers (SQLite serialises every write)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_in_one_unit_all_land_in_the_totals(
    tree, schedule, make_member, treasurer
):
    from .test_postgres import run_together

    members = [make_member(tree.cell_a1x) for _ in range(6)]
    services.charges_issue()
    # Each pays twice at once: the same member's shortfall and the unit's rows.
    results = run_together(
        12,
        lambda i: pay(members[i % 6], treasurer, f"k{i}", 300 + 100 * (i // 6)),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert totals_differences() == []
    assert stored(tree.national, this_month()) == from_sql(this_month())
    assert stored(tree.cell_a1x, this_month())[1] == 6 * 700
