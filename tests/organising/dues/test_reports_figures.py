"""Report figures against SQL written here, at every level and in the page, the API
and the CSV: outstanding is the sum of each member's shortfall (paid ahead apart),
periods of different lengths add up exactly, a change of schedule period loses no
money, members are counted as they were then, and bad periods are refused."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from members.models import Membership
from organising.dues import periods as P
from organising.dues import services
from organising.dues.reports import unit_report

from .conftest import make_schedule, pay, this_month

API = "/api/v1/dues"
UNITS = ("national", "fed_a", "fed_b", "section_a1", "section_b1", "cell_a1x")

# Each member's shortfall and advance on each of their (unit, period), from the
# ledger lines alone, for the units under a path and periods in a range.
SHORTFALL_SQL = """
SELECT COALESCE(SUM(due), 0), COALESCE(SUM(paid), 0),
       COALESCE(SUM(CASE WHEN due > paid THEN due - paid ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN paid > due THEN paid - due ELSE 0 END), 0)
FROM (
  SELECT l.member_id, l.unit_id,
         SUM(CASE WHEN l.kind IN ('charge', 'waiver') THEN l.amount_cents ELSE 0 END)
             AS due,
         SUM(CASE WHEN l.kind IN ('payment', 'reversal', 'return')
                  THEN l.amount_cents ELSE 0 END) AS paid
  FROM dues_ledgerline l JOIN federation_unit u ON u.id = l.unit_id
  WHERE u.path LIKE %s AND l.period >= %s AND l.period <= %s
  GROUP BY l.member_id, l.unit_id{bucket}
) AS per_member
"""


def sql_figures(unit, first, last, *, one_bucket=False):
    """(expected, collected, outstanding, ahead) of `unit`'s subtree from `first` to
    `last`: per member and period, or per member over the whole range when the
    range is one period of the schedule (`one_bucket`)."""
    bucket = "" if one_bucket else ", l.period"
    with connection.cursor() as cursor:
        cursor.execute(
            SHORTFALL_SQL.format(bucket=bucket), [unit.path + "%", first, last]
        )
        return tuple(int(v) for v in cursor.fetchone())


def figures(row):
    return (
        row.expected_cents,
        row.collected_cents,
        row.outstanding_cents,
        row.ahead_cents,
    )


@pytest.fixture
def activity(tree, schedule, make_member, section_treasurer, national_treasurer):
    """Members in three cells, dues called over three months; some paid, one late
    member pays 100 € at once (paying ahead), one pays the next two months ahead."""
    people = {
        "a1x": [make_member(tree.cell_a1x) for _ in range(3)],
        "a1y": [make_member(tree.cell_a1y) for _ in range(2)],
        "b1x": [make_member(tree.cell_b1x) for _ in range(3)],
    }
    Membership.objects.update(started_on=P.add_months(this_month(), -2))
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    pay(people["a1x"][0], section_treasurer, "a0", 1500, method="transfer")
    pay(people["a1x"][1], section_treasurer, "a1", 500, method="transfer")
    pay(people["a1y"][0], section_treasurer, "y0", 10_000, method="transfer")
    pay(people["b1x"][0], national_treasurer, "b0", 1500)
    pay(
        people["b1x"][1],
        national_treasurer,
        "b1",
        1000,
        periods=[P.add_months(this_month(), 1), P.add_months(this_month(), 2)],
    )
    return people


def test_one_member_paying_ahead_does_not_hide_the_others_debts(tree, activity):
    period = this_month()
    for name in UNITS:
        unit = getattr(tree, name)
        report = unit_report(unit=unit, period=period)
        expected = sql_figures(unit, period, period)
        assert figures(report.totals) == expected, name
        assert sum(c.outstanding_cents for c in report.children) == expected[2]
        assert sum(c.ahead_cents for c in report.children) == expected[3]
        for child in report.children:
            if child.unit is not None and child.unit.pk != unit.pk:
                assert figures(child) == sql_figures(child.unit, period, period)
    national = unit_report(unit=tree.national, period=period).totals
    # The old figure (max(0, expected - collected)) hid debts behind the advance.
    assert national.ahead_cents > 0
    assert national.outstanding_cents > max(
        0, national.expected_cents - national.collected_cents
    )
    assert (
        national.collected_cents - national.expected_cents
        == national.ahead_cents - national.outstanding_cents
    )
    section = unit_report(unit=tree.section_a1, period=period).totals
    assert section.outstanding_cents > 0  # a1x's debts, despite a1y's 100 €


def test_page_api_and_csv_give_the_same_outstanding(
    tree, activity, national_treasurer, client_as, api_as
):
    key = P.period_key(this_month(), P.MONTHLY)
    expected = sql_figures(tree.national, this_month(), this_month())
    page = client_as(national_treasurer).get(
        reverse("dues:report", args=[tree.national.slug]), {"period": key}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="outstanding">{euros(expected[2])}' in html
    assert f'id="ahead">{euros(expected[3])}' in html
    api = api_as(national_treasurer).get(
        f"{API}/units/{tree.national.slug}/report/", {"period": key}
    )
    totals = api.json()["totals"]
    assert (
        totals["expected_cents"],
        totals["collected_cents"],
        totals["outstanding_cents"],
        totals["ahead_cents"],
    ) == expected
    for child in api.json()["children"]:
        print("CHILD", child)
        unit = next(u for u in (tree.fed_a, tree.fed_b) if u.slug == child["unit"])
        assert (
            child["outstanding_cents"]
            == sql_figures(unit, this_month(), this_month())[2]
        )
    response = client_as(national_treasurer).get(
        reverse("dues:report_csv", args=[tree.national.slug]), {"period": key}
    )
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    )
    header, total = rows[0], rows[-1]
    assert header[4:6] == ["outstanding", "paid ahead"]
    assert total[4:6] == [csv_euros(expected[2]), csv_euros(expected[3])]


def euros(cents: int) -> str:
    from organising.dues.templatetags.dues_tags import euros as tag

    return str(tag(cents))


def csv_euros(cents: int) -> str:
    return f"{cents / 100:.2f}".replace(".", ",")


def test_quarter_and_year_cover_all_their_months(tree, activity):
    today = timezone.localdate()
    quarter = P.period_start(today, P.QUARTERLY)
    year = date(today.year, 1, 1)
    for key, first, last in (
        (
            P.period_key(quarter, P.QUARTERLY),
            quarter,
            P.period_end(quarter, P.QUARTERLY),
        ),
        (str(today.year), year, date(today.year, 12, 31)),
    ):
        for name in UNITS:
            unit = getattr(tree, name)
            report = unit_report(unit=unit, period=key)
            assert (report.period, report.period_last) == (first, last)
            assert figures(report.totals) == sql_figures(unit, first, last), (key, name)
        # Exactly the sum of its months.
        months = [
            unit_report(unit=tree.national, period=P.period_key(m, P.MONTHLY)).totals
            for m in P.periods_between(first, last, P.MONTHLY)
        ]
        whole = unit_report(unit=tree.national, period=key).totals
        assert figures(whole) == tuple(
            sum(figures(m)[i] for m in months) for i in range(4)
        )


def test_a_change_of_period_loses_no_money(
    tree, schedule, national_treasurer, treasurer, make_member, client_as
):
    """Two months paid ahead under the monthly schedule, then a quarterly schedule
    from the quarter holding them: the quarter has both payments, and each member's
    shortfall is taken over the whole quarter."""
    quarter = P.next_period(P.period_start(this_month(), P.QUARTERLY), P.QUARTERLY)
    member = make_member(tree.cell_a1x)
    Membership.objects.filter(user=member).update(started_on=this_month())
    pay(member, treasurer, "ahead", 1000, periods=[quarter, P.add_months(quarter, 1)])
    other = make_member(tree.cell_a1x)
    Membership.objects.filter(user=other).update(started_on=this_month())
    pay(other, treasurer, "ahead2", 3000, periods=[quarter, P.add_months(quarter, 1)])
    make_schedule(
        national_treasurer, valid_from=quarter, period=P.QUARTERLY, name="Trimestriel"
    )
    key = P.period_key(quarter, P.QUARTERLY)
    report = unit_report(unit=tree.national, period=key)
    assert report.totals.collected_cents == 4000
    assert report.totals.ahead_cents == 4000
    last = P.period_end(quarter, P.QUARTERLY)
    services.charges_issue(on=quarter)  # 3 x 5 € each
    for name in UNITS:
        unit = getattr(tree, name)
        report = unit_report(unit=unit, period=key)
        assert figures(report.totals) == sql_figures(
            unit, quarter, last, one_bucket=True
        ), name
    cell = unit_report(unit=tree.cell_a1x, period=key, with_members=True)
    rows = {row.user_id: figures(row) for row in cell.members}
    # 15 € called each; one paid 10 € (owes 5 €), the other 30 € (15 € ahead).
    assert rows[member.pk] == (1500, 1000, 500, 0)
    assert rows[other.pk] == (1500, 3000, 0, 1500)
    # The chart: every month of the 24, the quarter's payments in their months.
    months = unit_report(unit=tree.national, period=key).months
    assert len(months) == 24
    assert [m.start for m in months] == [
        P.add_months(P.add_months(quarter, 2), -i) for i in range(23, -1, -1)
    ]
    assert {m.start: m.collected_cents for m in months}[
        P.add_months(quarter, 1)
    ] == 2000
    # A month of a quarterly schedule is not a period it knows.
    page = client_as(national_treasurer).get(
        reverse("dues:report", args=[tree.national.slug]),
        {"period": P.period_key(P.add_months(quarter, 1), P.MONTHLY)},
    )
    assert page.status_code == 400
    assert "not made of whole periods" in page.content.decode()


BAD_PERIODS = ["0000-01", "9999-12", "garbage", "2026-13", "2026-Q5", "1999-01"]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_a_period_that_is_not_one_is_a_400(
    tree, schedule, national_treasurer, client_as, api_as, period
):
    page = client_as(national_treasurer).get(
        reverse("dues:report", args=[tree.national.slug]), {"period": period}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="period-error"' in html and 'role="alert"' in html
    api = api_as(national_treasurer).get(
        f"{API}/units/{tree.national.slug}/report/", {"period": period}
    )
    assert api.status_code == 400
    assert list(api.json()) == ["period"]
    export = client_as(national_treasurer).get(
        reverse("dues:report_csv", args=[tree.national.slug]), {"period": period}
    )
    assert export.status_code == 400


def test_past_periods_count_who_was_a_member_then(
    tree, schedule, make_member, national_treasurer
):
    two_ago = P.add_months(this_month(), -2)
    left = make_member(tree.cell_a1x)
    stayed = make_member(tree.cell_a1x)
    joined = make_member(tree.cell_a1x)
    Membership.objects.filter(user__in=[left, stayed]).update(
        started_on=P.add_months(this_month(), -3)
    )
    Membership.objects.filter(user=joined).update(started_on=this_month())
    for offset in (3, 2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    Membership.objects.filter(user=left).update(
        ended_on=P.add_months(this_month(), -1) + timedelta(days=3)
    )
    pay(stayed, national_treasurer, "s", 2000)  # the two oldest months
    last_day = P.period_end(two_ago, P.MONTHLY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM members_membership m "
            "JOIN federation_unit u ON u.id = m.unit_id "
            "WHERE u.path LIKE %s AND m.status = 'adherent' AND m.started_on <= %s "
            "AND (m.ended_on IS NULL OR m.ended_on > %s)",
            [tree.section_a1.path + "%", last_day, last_day],
        )
        (then,) = cursor.fetchone()
    report = unit_report(unit=tree.section_a1, period=P.period_key(two_ago, "monthly"))
    assert report.totals.members == then == 2  # left and stayed, not joined
    # Up to date for that month: its dues (and older ones) are paid.
    assert report.totals.up_to_date == 1
    now = unit_report(unit=tree.section_a1)
    assert now.totals.members == 2  # stayed and joined


def test_members_rows_add_up_to_the_cell(tree, activity):
    report = unit_report(unit=tree.cell_a1x, period=this_month(), with_members=True)
    for i in range(4):
        assert sum(figures(m)[i] for m in report.members) == figures(report.totals)[i]


def test_national_report_reads_a_bounded_number_of_queries(
    tree, activity, make_member, django_assert_max_num_queries
):
    from tests.factories import make_unit

    for index in range(5):
        make_member(make_unit(f"Cellule extra {index}", tree.section_b1))
    services.charges_issue()
    with django_assert_max_num_queries(6):
        unit_report(unit=tree.national, period="")


def test_member_counts_follow_payments_memberships_and_exemptions(
    tree, schedule, make_member, national_treasurer, cell_secretary
):
    """The counts are cached per child under versions the database bumps in the
    transaction of each change: every change shows at once, at every level."""
    from django.core.cache import cache

    from members.services import membership_end

    late = [make_member(tree.cell_a1x) for _ in range(3)]
    Membership.objects.filter(user__in=late).update(
        started_on=P.add_months(this_month(), -2)
    )
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))

    def counts():
        return [
            (r.totals.members, r.totals.up_to_date)
            for r in (
                unit_report(unit=tree.national),
                unit_report(unit=tree.section_a1),
                unit_report(unit=tree.cell_a1x),
            )
        ]

    def fresh():
        cache.clear()
        return counts()

    before = counts()
    assert counts() == before  # read again from the cache
    pay(late[0], national_treasurer, "all", 1500)  # three months: up to date
    after_payment = counts()
    assert after_payment == fresh()
    assert [up for _n, up in after_payment] == [up + 1 for _n, up in before]
    services.exemption_grant(
        member=late[1], by=national_treasurer, starts_on=this_month(), reason="aide"
    )
    after_exemption = counts()
    assert after_exemption == fresh() != after_payment
    membership_end(member=late[2], by=cell_secretary)
    after_end = counts()
    assert after_end == fresh()
    assert [n for n, _up in after_end] == [n - 1 for n, _up in after_exemption]


def test_reports_answer_with_the_cache_down(
    tree, activity, redis_down, national_treasurer, client_as, api_as
):
    page = client_as(national_treasurer).get(
        reverse("dues:report", args=[tree.national.slug])
    )
    assert page.status_code == 200
    api = api_as(national_treasurer).get(f"{API}/units/{tree.section_a1.slug}/report/")
    assert api.status_code == 200
    members = Membership.objects.filter(
        unit__path__startswith=tree.section_a1.path, ended_on__isnull=True
    ).count()
    assert api.json()["totals"]["members"] == members
