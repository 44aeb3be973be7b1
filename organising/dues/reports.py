"""Dues reports for any unit: a period's expected, collected and outstanding dues,
the collection rate and the members up to date, broken down by child unit, the last
24 months, and each level's share of what was collected.

The breakdown is one aggregate over the ledger grouped by the prefix of the units'
materialised paths (a child's path is the first (depth + 1) x steplen characters of
every path below it), so the number of queries does not grow with the number of
units.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from federation.models import Level, Unit
from members.models import Membership
from organising import csvexport

from . import periods as P
from .models import DUE_KINDS, PAID_KINDS, Exemption, LedgerLine
from .rates import load_schedules, schedule_on
from .selectors import standings_for

CHART_MONTHS = 24


@dataclass
class Figures:
    expected_cents: int = 0
    collected_cents: int = 0
    members: int = 0
    up_to_date: int = 0

    @property
    def outstanding_cents(self) -> int:
        return max(0, self.expected_cents - self.collected_cents)

    @property
    def rate(self) -> float | None:
        """Collected over expected, in percent (None when nothing was expected)."""
        if self.expected_cents <= 0:
            return None
        return round(100 * self.collected_cents / self.expected_cents, 1)

    @property
    def up_to_date_rate(self) -> float | None:
        if not self.members:
            return None
        return round(100 * self.up_to_date / self.members, 1)


@dataclass
class ChildRow(Figures):
    unit: Unit | None = None
    label: str = ""


@dataclass
class MonthPoint:
    key: str
    start: date
    expected_cents: int
    collected_cents: int


@dataclass
class ShareRow:
    level: str
    share_bp: int
    amount_cents: int


@dataclass
class MemberRow:
    user_id: int
    name: str
    email: str
    unit: str
    expected_cents: int
    collected_cents: int
    standing: object


@dataclass
class Report:
    unit: Unit
    period: date
    period_key: str
    period_kind: str
    totals: Figures
    children: list[ChildRow] = field(default_factory=list)
    months: list[MonthPoint] = field(default_factory=list)
    shares: list[ShareRow] = field(default_factory=list)
    members: list[MemberRow] | None = None
    child_level: str = ""

    def chart(self) -> dict:
        """The bars of the chart in SVG units (a 100-high plotting box; each period
        10 wide), computed here so that the template only draws."""
        top = max([1, *(max(m.expected_cents, m.collected_cents) for m in self.months)])
        bars = []
        last = len(self.months) - 1
        for index, month in enumerate(self.months):
            expected = round(100 * max(0, month.expected_cents) / top)
            collected = round(100 * max(0, month.collected_cents) / top)
            bars.append(
                {
                    "point": month,
                    "x": index * 10 + 1,
                    "x2": index * 10 + 5,
                    "expected_y": 100 - expected,
                    "expected_h": expected,
                    "collected_y": 100 - collected,
                    "collected_h": collected,
                    "label_x": index * 10 + 5,
                    # Every third period, counted back from the last one; a
                    # phone shows only every sixth (the others are "minor").
                    "labelled": (last - index) % 3 == 0,
                    "minor": (last - index) % 6 != 0,
                }
            )
        return {"width": max(10, len(bars) * 10), "bars": bars}


def _sums(rows):
    return rows.annotate(
        expected=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
        collected=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
    )


def unit_report(
    *, unit: Unit, period: date | None = None, with_members: bool = False
) -> Report:
    """The report of `unit` for the period starting on `period` (the current one by
    default). `with_members` adds one row per member (for those allowed to see
    amounts per member; bounded to the unit's own members when it is a cell)."""
    schedules = load_schedules()
    today = timezone.localdate()
    in_force = schedule_on(schedules, today)
    today_kind = in_force.period if in_force else P.MONTHLY
    if period is None:
        period, kind = P.period_start(today, today_kind), today_kind
    else:
        loaded = schedule_on(schedules, period)
        kind = loaded.period if loaded else P.MONTHLY
        period = P.period_start(period, kind)
    window_start = P.add_months(period, -(CHART_MONTHS - 1))
    child_length = (unit.depth + 1) * unit.steplen

    # 1. The ledger: by child unit and by period over the chart's window.
    grouped = _sums(
        LedgerLine.objects.filter(
            unit__path__startswith=unit.path,
            period__gte=window_start,
            period__lte=period,
        )
        .annotate(child=Substr("unit__path", 1, child_length))
        .values("child", "period")
    ).order_by()
    by_period: dict[date, list[int]] = {}
    by_child: dict[str, list[int]] = {}
    for row in grouped:
        point = by_period.setdefault(row["period"], [0, 0])
        point[0] += row["expected"]
        point[1] += row["collected"]
        if row["period"] == period:
            figures = by_child.setdefault(row["child"], [0, 0])
            figures[0] += row["expected"]
            figures[1] += row["collected"]

    # 2. Members and members up to date today, by child unit.
    start = P.period_start(today, today_kind)
    exempt = Exemption.objects.in_force(today).filter(member_id=OuterRef("user_id"))
    people = (
        Membership.objects.current()
        .filter(unit__path__startswith=unit.path, status=Membership.Status.ADHERENT)
        .annotate(child=Substr("unit__path", 1, child_length))
        .values("child")
        .annotate(
            members=Count("pk"),
            up_to_date=Count(
                "pk",
                filter=Q(user__dues_balance__isnull=True)
                | Q(user__dues_balance__first_unpaid__isnull=True)
                | Q(user__dues_balance__first_unpaid__gte=start)
                | Q(Exists(exempt)),
            ),
        )
        .order_by()
    )
    people_by_child = {
        row["child"]: (row["members"], row["up_to_date"]) for row in people
    }

    # 3. The child units themselves (one query; empty for a cell).
    children = list(
        Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by(
            "name"
        )
    )

    def row(path: str, row_unit: Unit | None, label: str) -> ChildRow:
        expected, collected = by_child.get(path, (0, 0))
        members, up_to_date = people_by_child.get(path, (0, 0))
        return ChildRow(
            unit=row_unit,
            label=label,
            expected_cents=expected,
            collected_cents=collected,
            members=members,
            up_to_date=up_to_date,
        )

    rows = [row(child.path, child, child.name) for child in children]
    if unit.path in by_child or unit.path in people_by_child:
        # Members whose home is the unit itself, not one of its children.
        if children:
            itself = _("Members of %(unit)s itself") % {"unit": unit.name}
            rows.append(row(unit.path, unit, itself))
        else:
            rows.append(row(unit.path, None, unit.name))
    totals = Figures(
        expected_cents=sum(v[0] for v in by_child.values()),
        collected_cents=sum(v[1] for v in by_child.values()),
        members=sum(v[0] for v in people_by_child.values()),
        up_to_date=sum(v[1] for v in people_by_child.values()),
    )

    months = []
    for month_start in P.periods_between(window_start, period, kind):
        if month_start < window_start:
            continue
        loaded = schedule_on(schedules, month_start)
        expected, collected = by_period.get(month_start, (0, 0))
        months.append(
            MonthPoint(
                key=P.period_key(month_start, loaded.period if loaded else kind),
                start=month_start,
                expected_cents=expected,
                collected_cents=collected,
            )
        )

    levels = {level.depth: level for level in Level.objects.all()}
    shares = []
    loaded = schedule_on(schedules, period)
    if loaded is not None:
        names = {depth: level.name for depth, level in levels.items()}
        allotted = 0
        depths = sorted(loaded.shares)
        for index, depth in enumerate(depths):
            share_bp = loaded.shares[depth]
            if index == len(depths) - 1:
                amount = (
                    totals.collected_cents - allotted
                )  # the last takes the rounding
            else:
                amount = totals.collected_cents * share_bp // 10_000
            allotted += amount
            shares.append(
                ShareRow(
                    level=names.get(depth, str(depth)),
                    share_bp=share_bp,
                    amount_cents=amount,
                )
            )

    child_level = levels[unit.depth].plural if children and unit.depth in levels else ""
    report = Report(
        unit=unit,
        period=period,
        period_key=P.period_key(period, kind),
        period_kind=kind,
        totals=totals,
        children=rows,
        months=months,
        shares=shares,
        child_level=child_level,
    )
    if with_members:
        report.members = _member_rows(unit=unit, period=period)
    return report


def _member_rows(*, unit: Unit, period: date) -> list[MemberRow]:
    memberships = list(
        Membership.objects.current()
        .filter(unit__path__startswith=unit.path, status=Membership.Status.ADHERENT)
        .select_related("user", "unit")
        .order_by("user__display_name", "user_id")
    )
    ids = [m.user_id for m in memberships]
    sums = {
        row["member_id"]: (row["expected"], row["collected"])
        for row in _sums(
            LedgerLine.objects.filter(member_id__in=ids, period=period).values(
                "member_id"
            )
        ).order_by()
    }
    standings = standings_for(ids)
    return [
        MemberRow(
            user_id=m.user_id,
            name=m.user.display_name,
            email=m.user.email,
            unit=m.unit.name,
            expected_cents=sums.get(m.user_id, (0, 0))[0],
            collected_cents=sums.get(m.user_id, (0, 0))[1],
            standing=standings[m.user_id],
        )
        for m in memberships
    ]


def unit_summary(*, unit: Unit, month: date) -> Report:
    """The figures a treasurer's monthly e-mail gives (the period holding `month`)."""
    return unit_report(unit=unit, period=month)


def report_csv(report: Report) -> str:
    """The report as CSV (semicolons and a decimal comma, as French spreadsheets
    expect): the breakdown, the total, then members when the report has them."""
    buffer = io.StringIO()
    writer = csvexport.writer(buffer, delimiter=";")

    def euros(cents: int) -> str:
        return f"{cents / 100:.2f}".replace(".", ",")

    def percent(value) -> str:
        return "" if value is None else f"{value:.1f}".replace(".", ",")

    writer.writerow(
        [
            _("unit"),
            _("period"),
            _("expected"),
            _("collected"),
            _("outstanding"),
            _("collection rate %"),
            _("members"),
            _("up to date"),
        ]
    )
    for row in [*report.children, None]:
        figures = row or report.totals
        writer.writerow(
            [
                row.label if row else _("Total %(unit)s") % {"unit": report.unit.name},
                report.period_key,
                euros(figures.expected_cents),
                euros(figures.collected_cents),
                euros(figures.outstanding_cents),
                percent(figures.rate),
                figures.members,
                figures.up_to_date,
            ]
        )
    if report.members is not None:
        writer.writerow([])
        writer.writerow(
            [
                _("member"),
                _("e-mail"),
                _("cell"),
                _("expected"),
                _("paid"),
                _("standing"),
            ]
        )
        for member in report.members:
            writer.writerow(
                [
                    member.name,
                    member.email,
                    member.unit,
                    euros(member.expected_cents),
                    euros(member.collected_cents),
                    member.standing.label,
                ]
            )
    return buffer.getvalue()
