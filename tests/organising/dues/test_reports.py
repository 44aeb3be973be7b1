"""Reports: the sums equal the ledger, the breakdown by child unit adds up, shares
split what was collected, and the number of queries does not grow with the tree."""

import pytest
from django.db.models import Q, Sum

from members.models import Membership
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import DUE_KINDS, PAID_KINDS, LedgerLine
from organising.dues.reports import report_csv, unit_report
from tests.factories import make_unit

from .conftest import pay, this_month


@pytest.fixture
def activity(tree, schedule, make_member, section_treasurer, national_treasurer):
    """Members in three cells with dues called over three months, paid or not."""
    people = {
        "a1x": [make_member(tree.cell_a1x) for _ in range(3)],
        "a1y": [make_member(tree.cell_a1y) for _ in range(2)],
        "b1x": [make_member(tree.cell_b1x) for _ in range(2)],
    }
    Membership.objects.update(started_on=P.add_months(this_month(), -2))
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    for index, member in enumerate(people["a1x"] + people["a1y"]):
        amount = 500 * (index % 3 + 1)
        pay(member, section_treasurer, f"a{index}", amount, method="transfer")
    pay(people["b1x"][0], national_treasurer, "b", 1500)
    return people


def ledger_sums(unit, period):
    rows = LedgerLine.objects.filter(unit__path__startswith=unit.path, period=period)
    return rows.aggregate(
        due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
        paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
    )


@pytest.mark.parametrize("offset", [0, -1, -2])
def test_report_sums_equal_the_ledger_at_every_level(tree, activity, offset):
    period = P.add_months(this_month(), offset)
    for unit in (tree.national, tree.fed_a, tree.section_a1, tree.cell_a1x):
        report = unit_report(unit=unit, period=period)
        sums = ledger_sums(unit, period)
        assert report.totals.expected_cents == sums["due"]
        assert report.totals.collected_cents == sums["paid"]
        assert sum(c.expected_cents for c in report.children) == sums["due"]
        assert sum(c.collected_cents for c in report.children) == sums["paid"]
        month = next(m for m in report.months if m.start == period)
        assert (month.expected_cents, month.collected_cents) == (
            sums["due"],
            sums["paid"],
        )


def test_breakdown_by_child_unit_and_members_up_to_date(tree, activity):
    report = unit_report(unit=tree.section_a1, period=this_month())
    rows = {row.label: row for row in report.children}
    assert set(rows) == {"Cellule A1x", "Cellule A1y"}
    members_a1x = Membership.objects.current().filter(unit=tree.cell_a1x).count()
    assert rows["Cellule A1x"].members == members_a1x
    assert report.totals.members == sum(r.members for r in rows.values())
    assert 0 < report.totals.up_to_date < report.totals.members
    # Each member's shortfall, advances apart: they no longer cancel each other.
    assert (
        report.totals.collected_cents - report.totals.expected_cents
        == report.totals.ahead_cents - report.totals.outstanding_cents
    )
    assert report.totals.rate == round(
        100 * report.totals.collected_cents / report.totals.expected_cents, 1
    )


def test_each_level_gets_its_share_of_what_was_collected(tree, activity):
    report = unit_report(unit=tree.national, period=this_month())
    assert [s.share_bp for s in report.shares] == [2500] * 4
    assert sum(s.amount_cents for s in report.shares) == report.totals.collected_cents


def test_chart_has_24_months_ending_on_the_period(tree, activity):
    report = unit_report(unit=tree.national)
    assert len(report.months) == 24
    assert report.months[-1].start == this_month()
    chart = report.chart()
    assert len(chart["bars"]) == 24
    assert all(0 <= int(bar["collected_h"]) <= 100 for bar in chart["bars"])


def test_query_count_does_not_grow_with_the_number_of_cells(
    tree, activity, make_member, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        unit_report(unit=tree.national, period=this_month())
    for index in range(6):
        cell = make_unit(f"Cellule extra {index}", tree.section_b1)
        extra = make_member(cell)
        services.charges_issue()
        services.charges_issue(on=P.add_months(this_month(), -1))
        assert extra
    with django_assert_num_queries(len(before.captured_queries)):
        report = unit_report(unit=tree.national, period=this_month())
    assert report.totals.members > 0


def test_cell_report_lists_members_and_exports_csv(tree, activity):
    report = unit_report(unit=tree.cell_a1x, period=this_month(), with_members=True)
    assert (
        len(report.members)
        == Membership.objects.current().filter(unit=tree.cell_a1x).count()
    )
    assert (
        sum(m.collected_cents for m in report.members) == report.totals.collected_cents
    )
    text = report_csv(report)
    header, *lines = text.splitlines()
    assert header.startswith("unit;period;expected") or header.startswith("unité")
    assert any(m.email in text for m in activity["a1x"])
