"""Dues reports for any unit: a period's expected, collected, outstanding and
paid-ahead dues, the collection rate and the members up to date, broken down by
child unit, the last 24 months, and each level's share of what was collected.

Figures are read from `UnitPeriodTotal` (the ledger added up per unit and ledger
period, kept in step with every ledger write; see `totals.py`): a few rows per child
whatever the size of the ledger.

- "Outstanding" is the sum of each member's shortfall on each period (what they owe
  on it beyond what they paid on it), never the unit's expected minus collected: a
  member paying ahead (shown apart, "paid ahead") does not hide another's debt.
  So collected - expected == paid ahead - outstanding, at every level.
- A report covers whole periods of the schedules in force (a month, a quarter or a
  year; `?period=2026` under a monthly schedule is its twelve months). A period's
  lines are added up by the period of the schedule that holds them, so payments
  made ahead for months before a quarterly schedule took over count in its quarter.
- Members are counted as they were on the period's last day (today for the current
  one), from the membership periods.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from federation.models import Level, Unit
from members.models import Membership
from organising import csvexport

from . import periods as P
from .models import (
    DUE_KINDS,
    PAID_KINDS,
    LedgerLine,
    UnitPeriodTotal,
    UnitVersion,
)
from .rates import (
    Bucket,
    LoadedSchedule,
    bucket_on,
    buckets_between,
    load_schedules,
    schedule_on,
)
from .selectors import standings_for
from .totals import Sums, member_sums

CHART_MONTHS = 24
AHEAD_MONTHS = 12  # how far ahead a report may look (payments ahead, at most)


@dataclass
class Figures:
    expected_cents: int = 0
    collected_cents: int = 0
    outstanding_cents: int = 0
    ahead_cents: int = 0
    members: int = 0
    up_to_date: int = 0

    @property
    def rate(self) -> float | None:
        """Collected over expected, in percent (None when nothing was expected)."""
        if self.expected_cents <= 0:
            return None
        return round(100 * self.collected_cents / self.expected_cents, 1)

    def add(self, sums: Sums, sign: int = 1) -> None:
        self.expected_cents += sign * sums.expected_cents
        self.collected_cents += sign * sums.collected_cents
        self.outstanding_cents += sign * sums.outstanding_cents
        self.ahead_cents += sign * sums.ahead_cents


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
    outstanding_cents: int
    ahead_cents: int
    standing: object


@dataclass(frozen=True)
class ReportPeriod:
    """What a report covers: whole periods of the schedules, from `first` to
    `last` (inclusive), asked for as `key`."""

    key: str
    kind: str
    first: date
    last: date
    buckets: tuple[Bucket, ...]


@dataclass
class Report:
    unit: Unit
    period: date
    period_key: str
    period_kind: str
    period_last: date
    totals: Figures
    children: list[ChildRow] = field(default_factory=list)
    months: list[MonthPoint] = field(default_factory=list)
    shares: list[ShareRow] = field(default_factory=list)
    members: list[MemberRow] | None = None
    child_level: str = ""
    counted_on: date | None = None

    def chart(self) -> dict:
        """The bars of the chart in SVG units (a 100-high plotting box; each month
        10 wide), computed here so that the template only draws. Coordinates are
        strings: the template would otherwise format each number for the language
        (a third of the page's time)."""
        top = max([1, *(max(m.expected_cents, m.collected_cents) for m in self.months)])
        bars = []
        last = len(self.months) - 1
        for index, month in enumerate(self.months):
            expected = round(100 * max(0, month.expected_cents) / top)
            collected = round(100 * max(0, month.collected_cents) / top)
            bars.append(
                {
                    "point": month,
                    "x": str(index * 10 + 1),
                    "x2": str(index * 10 + 5),
                    "expected_y": str(100 - expected),
                    "expected_h": str(expected),
                    "collected_y": str(100 - collected),
                    "collected_h": str(collected),
                    "label_x": str(index * 10 + 5),
                    # Every third month, counted back from the last one; a
                    # phone shows only every sixth (the others are "minor").
                    "labelled": (last - index) % 3 == 0,
                    "minor": (last - index) % 6 != 0,
                }
            )
        width = max(10, len(bars) * 10)
        return {"width": str(width), "box": f"-20 0 {width + 40} 118", "bars": bars}


def _period_error(message: str) -> ValidationError:
    return ValidationError({"period": message})


def report_period(
    key: str | date | None,
    *,
    schedules: list[LoadedSchedule] | None = None,
    today: date | None = None,
) -> ReportPeriod:
    """The whole periods a report covers: the current period without `key`; a
    month, quarter or year key ("2026-03", "2026-Q4", "2026") when it is made of
    whole periods of the schedules in force then; a date: the period holding it.
    Anything else is a ValidationError on `period`."""
    schedules = load_schedules() if schedules is None else schedules
    today = today or timezone.localdate()
    if key is None or key == "":
        return _from_bucket(bucket_on(schedules, today), schedules)
    if isinstance(key, date):
        return _from_bucket(bucket_on(schedules, key), schedules)
    try:
        first, kind = P.parse_period_key(str(key))
    except ValidationError as error:
        raise _period_error(error.messages[0]) from None
    last = P.period_end(first, kind)
    if not schedules or first < schedules[0].schedule.valid_from:
        raise _period_error(_("No dues schedule covers %(period)s.") % {"period": key})
    if first > P.add_months(today, AHEAD_MONTHS):
        raise _period_error(
            _("%(period)s is more than %(n)s months ahead.")
            % {"period": key, "n": AHEAD_MONTHS}
        )
    opening, closing = bucket_on(schedules, first), bucket_on(schedules, last)
    if opening.start != first or closing.end != last:
        raise _period_error(
            _(
                "%(period)s is not made of whole periods of the schedule: "
                "choose %(first)s or a longer period."
            )
            % {"period": key, "first": opening.key}
        )
    return ReportPeriod(
        key=P.period_key(first, kind),
        kind=kind,
        first=first,
        last=last,
        buckets=tuple(buckets_between(schedules, first, last)),
    )


def _from_bucket(bucket: Bucket, schedules) -> ReportPeriod:
    return ReportPeriod(
        key=bucket.key,
        kind=bucket.kind,
        first=bucket.start,
        last=bucket.end,
        buckets=(bucket,),
    )


def period_choices(
    report: Report | ReportPeriod, *, schedules=None, today=None
) -> list[str]:
    """The periods a treasurer can pick: those of the last 24 months, newest first,
    then the quarters (under a monthly schedule) and the years they make up."""
    schedules = load_schedules() if schedules is None else schedules
    today = today or timezone.localdate()
    if isinstance(report, ReportPeriod):
        period_key, period_last = report.key, report.last
    else:
        period_key, period_last = report.period_key, report.period_last
    # The same for every request of a day (a tenth of a cached report page's time):
    # kept per process under the schedules just read (rows only ever added, the
    # previous one closed), so a kept list can only miss.
    memo = (
        tuple(
            (s.schedule.pk, s.schedule.created_at, s.schedule.valid_until)
            for s in schedules
        ),
        today,
        period_key,
        period_last,
    )
    found = _CHOICES.get(memo)
    if found is not None:
        return list(found)
    end = max(period_last, today)
    start = P.add_months(end.replace(day=1), -(CHART_MONTHS - 1))
    keys = [b.key for b in reversed(buckets_between(schedules, start, end))]
    longer = []
    for month in P.periods_between(start, end, P.MONTHLY):
        longer += [P.period_key(month, P.QUARTERLY), P.period_key(month, P.YEARLY)]
    for key in dict.fromkeys(reversed(longer)):
        try:
            report_period(key, schedules=schedules, today=today)
        except ValidationError:
            continue
        keys.append(key)
    keys = list(dict.fromkeys(keys))
    if period_key not in keys:
        keys.insert(0, period_key)
    if len(_CHOICES) > 256:
        _CHOICES.clear()
    _CHOICES[memo] = keys
    return list(keys)


_CHOICES: dict[tuple, list[str]] = {}


def unit_report(
    *,
    unit: Unit,
    period: str | date | ReportPeriod | None = None,
    with_members: bool = False,
    schedules: list[LoadedSchedule] | None = None,
) -> Report:
    """The report of `unit` for `period` (a key, a day, or the current period by
    default; see `report_period`). `with_members` adds one row per member (for
    those allowed to see amounts per member; bounded to the unit's own members when
    it is a cell)."""
    schedules = load_schedules() if schedules is None else schedules
    today = timezone.localdate()
    if isinstance(period, ReportPeriod):
        asked = period
    else:
        asked = report_period(period, schedules=schedules, today=today)
    chart_end = asked.last.replace(day=1)
    window_start = P.add_months(chart_end, -(CHART_MONTHS - 1))

    children = list(
        Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by(
            "name"
        )
    )
    by_id = {child.pk: child for child in children}
    rows = UnitPeriodTotal.objects.filter(
        unit_id__in=[unit.pk, *by_id],
        period__gte=min(window_start, asked.first),
        period__lte=asked.last,
    ).values_list("unit_id", "period", *_FIELDS)

    # 1. The period's figures by child, and the chart (the unit's own rows).
    months = {m: [0, 0] for m in P.periods_between(window_start, chart_end, "monthly")}
    in_period: dict[int, Figures] = {pk: Figures() for pk in [unit.pk, *by_id]}
    uneven: dict[date, Bucket] = {}
    starts = {b.start: b for b in asked.buckets}
    for unit_id, day, *figures in rows:
        sums = Sums(*figures)
        if unit_id == unit.pk and day >= window_start:
            point = months[day.replace(day=1)]
            point[0] += sums.expected_cents
            point[1] += sums.collected_cents
        if asked.first <= day <= asked.last:
            if day not in starts:
                # Lines on a day that does not start a period of the schedule
                # (paid ahead before the schedule changed): this period's
                # shortfalls are taken from the ledger below.
                bucket = bucket_on(schedules, day)
                uneven[bucket.start] = bucket
            in_period[unit_id].add(sums)
    for bucket in uneven.values():
        _replace_from_ledger(unit, by_id, bucket, in_period)

    # 2. Members then (on the period's last day, today for the current one), and
    # those up to date: nothing owed for the periods before the current one, or
    # up to this period's end when it is over.
    counted_on = min(asked.last, today)
    current = bucket_on(schedules, today).start
    settled_until = min(asked.last + timedelta(days=1), current)
    people = _members_then(unit, children, counted_on, settled_until)

    report_rows = []
    for child in children:
        figures = in_period[child.pk]
        report_rows.append(
            _child_row(figures, people.get(child.path), child, child.name)
        )
    own = Figures()
    own.add(_as_sums(in_period[unit.pk]))
    for child in children:
        own.add(_as_sums(in_period[child.pk]), sign=-1)
    if unit.path in people or not _as_sums(own).is_zero():
        if children:
            itself = _("Members of %(unit)s itself") % {"unit": unit.name}
            report_rows.append(_child_row(own, people.get(unit.path), unit, itself))
        else:
            report_rows.append(_child_row(own, people.get(unit.path), None, unit.name))
    totals = in_period[unit.pk]
    totals.members = sum(n for n, _u in people.values())
    totals.up_to_date = sum(u for _n, u in people.values())

    levels = {level.depth: level for level in Level.objects.all()}
    child_level = levels[unit.depth].plural if children and unit.depth in levels else ""
    report = Report(
        unit=unit,
        period=asked.first,
        period_key=asked.key,
        period_kind=asked.kind,
        period_last=asked.last,
        totals=totals,
        children=report_rows,
        months=[
            MonthPoint(
                key=P.period_key(month, P.MONTHLY),
                start=month,
                expected_cents=point[0],
                collected_cents=point[1],
            )
            for month, point in months.items()
        ],
        shares=_shares(asked, schedules, levels, totals.collected_cents),
        child_level=child_level,
        counted_on=counted_on,
    )
    if with_members:
        report.members = _member_rows(
            unit=unit, asked=asked, counted_on=counted_on, schedules=schedules
        )
    return report


_FIELDS = ("expected_cents", "collected_cents", "outstanding_cents", "ahead_cents")


def _as_sums(figures: Figures) -> Sums:
    return Sums(
        figures.expected_cents,
        figures.collected_cents,
        figures.outstanding_cents,
        figures.ahead_cents,
    )


def _child_row(figures: Figures, people, row_unit, label: str) -> ChildRow:
    members, up_to_date = people or (0, 0)
    return ChildRow(
        unit=row_unit,
        label=label,
        expected_cents=figures.expected_cents,
        collected_cents=figures.collected_cents,
        outstanding_cents=figures.outstanding_cents,
        ahead_cents=figures.ahead_cents,
        members=members,
        up_to_date=up_to_date,
    )


def _line_sums(lines):
    return lines.annotate(
        due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
        paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
    )


def _replace_from_ledger(unit, by_id, bucket: Bucket, in_period) -> None:
    """The figures of one period whose lines lie on several days, from the ledger:
    each member's shortfall over the whole period (one query, rare)."""
    days = (bucket.start, bucket.end)
    stored = UnitPeriodTotal.objects.filter(
        unit_id__in=list(in_period), period__range=days
    ).values_list("unit_id", *_FIELDS)
    for unit_id, *figures in stored:
        in_period[unit_id].add(Sums(*figures), sign=-1)
    child_length = (unit.depth + 1) * unit.steplen
    paths = {child.path: pk for pk, child in by_id.items()}
    per_member = _line_sums(
        LedgerLine.objects.filter(unit__path__startswith=unit.path, period__range=days)
        .annotate(child=Substr("unit__path", 1, child_length))
        .values("member_id", "unit_id", "child")
    ).order_by()
    for row in per_member:
        sums = member_sums(row["due"], row["paid"])
        in_period[unit.pk].add(sums)
        if row["child"] in paths:
            in_period[paths[row["child"]]].add(sums)


_PEOPLE_SQL = """
SELECT substr(u.path, 1, %(child)s) AS child, COUNT(*),
       SUM(CASE WHEN b.first_unpaid IS NULL OR b.first_unpaid >= %(settled)s
                     OR e.member_id IS NOT NULL THEN 1 ELSE 0 END)
FROM members_membership m
JOIN federation_unit u ON u.id = m.unit_id
LEFT JOIN dues_balance b ON b.member_id = m.user_id
LEFT JOIN (
  SELECT DISTINCT member_id FROM dues_exemption
  WHERE starts_on <= %(day)s AND (ends_on IS NULL OR ends_on >= %(day)s)
) e ON e.member_id = m.user_id
WHERE ({where}) AND m.status = 'adherent' AND m.started_on <= %(day)s
  AND (m.ended_on IS NULL OR m.ended_on > %(day)s)
GROUP BY substr(u.path, 1, %(child)s)
"""
PEOPLE_CACHE = "dues.people.v1"
PEOPLE_CACHE_SECONDS = 6 * 3600
WHOLE_QUERY_FROM = 8  # more children to count than this: count the whole subtree


def _members_then(
    unit: Unit, children: list[Unit], day: date, settled_until: date
) -> dict:
    """{child path (or the unit's own path, for its own members): (adherents on
    `day`, of whom up to date)}: up to date when nothing called before
    `settled_until` is still owed, or exempt on `day`.

    Counting 100,000 memberships takes hundreds of milliseconds, so each child's
    counts are cached under the child's `UnitVersion`, read first, in this request,
    and bumped by triggers in the transaction of any change that could alter them:
    a cached count can only miss. A payment in one federation recounts only it."""
    versions = dict(
        UnitVersion.objects.filter(
            unit_id__in=[unit.pk, *(c.pk for c in children)]
        ).values_list("unit_id", "version")
    )

    def key(counted: Unit, own: bool) -> str:
        version = versions.get(counted.pk, 0)
        scope = "own" if own else "all"
        return f"{PEOPLE_CACHE}:{counted.pk}:{scope}:{version}:{day}:{settled_until}"

    wanted = {key(child, False): child.path for child in children}
    wanted[key(unit, True)] = unit.path
    try:
        found = cache.get_many(list(wanted))
    except Exception:  # noqa: BLE001 -- a cache that fails is a miss
        found = {}
    out = {wanted[k]: tuple(v) for k, v in found.items() if k in wanted}
    missing = [path for path in wanted.values() if path not in out]
    if not missing:
        return {path: value for path, value in out.items() if value != (0, 0)}
    if len(missing) > WHOLE_QUERY_FROM or unit.path in missing:
        where, params = "u.path LIKE %(prefix)s", {"prefix": unit.path + "%"}
    else:
        where = " OR ".join(f"u.path LIKE %(p{i})s" for i in range(len(missing)))
        params = {f"p{i}": path + "%" for i, path in enumerate(missing)}
    with connection.cursor() as cursor:
        cursor.execute(
            _PEOPLE_SQL.format(where=where),
            {
                "child": (unit.depth + 1) * unit.steplen,
                "settled": settled_until,
                "day": day,
                **params,
            },
        )
        counted = {child: (n, int(up)) for child, n, up in cursor.fetchall()}
    fresh = {}
    for cache_key, path in wanted.items():
        if path in missing or path in counted:
            out[path] = counted.get(path, (0, 0))
            fresh[cache_key] = out[path]
    # Not stored when the cache fails: the next read counts again.
    with contextlib.suppress(Exception):
        cache.set_many(fresh, PEOPLE_CACHE_SECONDS)
    return {path: value for path, value in out.items() if value != (0, 0)}


def _memberships_on(day: date):
    """The adherent memberships in force on `day` (one per member)."""
    return Membership.objects.filter(
        status=Membership.Status.ADHERENT, started_on__lte=day
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def _shares(asked: ReportPeriod, schedules, levels, collected: int) -> list[ShareRow]:
    """Each level's part of what was collected, under the schedule of the period's
    start (the last level takes the rounding)."""
    loaded = schedule_on(schedules, asked.first)
    if loaded is None:
        return []
    names = {depth: level.name for depth, level in levels.items()}
    out, allotted = [], 0
    depths = sorted(loaded.shares)
    for index, depth in enumerate(depths):
        share_bp = loaded.shares[depth]
        if index == len(depths) - 1:
            amount = collected - allotted
        else:
            amount = collected * share_bp // 10_000
        allotted += amount
        out.append(
            ShareRow(
                level=names.get(depth, str(depth)),
                share_bp=share_bp,
                amount_cents=amount,
            )
        )
    return out


def _member_rows(
    *, unit: Unit, asked: ReportPeriod, counted_on: date, schedules
) -> list[MemberRow]:
    """One row per member who was a member then or has lines here for the period:
    their figures add up to the unit's."""
    sums: dict[int, Figures] = {}
    per_period = _line_sums(
        LedgerLine.objects.filter(
            unit__path__startswith=unit.path,
            period__range=(asked.first, asked.last),
        ).values("member_id", "unit_id", "period")
    ).order_by()
    per_bucket: dict[tuple, list[int]] = {}
    for row in per_period:
        bucket = bucket_on(schedules, row["period"]).start
        figures = per_bucket.setdefault(
            (row["member_id"], row["unit_id"], bucket), [0, 0]
        )
        figures[0] += row["due"]
        figures[1] += row["paid"]
    for (member_id, _unit_id, _bucket), (due, paid) in per_bucket.items():
        sums.setdefault(member_id, Figures()).add(member_sums(due, paid))
    then = {
        m.user_id: m
        for m in _memberships_on(counted_on)
        .filter(unit__path__startswith=unit.path)
        .select_related("user", "unit")
    }
    others = set(sums) - set(then)
    if others:
        # Former members (or transferred away) with lines here: their last
        # membership in this unit.
        for m in (
            Membership.objects.filter(
                user_id__in=others, unit__path__startswith=unit.path
            )
            .select_related("user", "unit")
            .order_by("started_on")
        ):
            then[m.user_id] = m
    memberships = sorted(
        then.values(), key=lambda m: (m.user.display_name.casefold(), m.user_id)
    )
    standings = standings_for([m.user_id for m in memberships])
    out = []
    for m in memberships:
        figures = sums.get(m.user_id, Figures())
        out.append(
            MemberRow(
                user_id=m.user_id,
                name=m.user.display_name,
                email=m.user.email,
                unit=m.unit.name,
                expected_cents=figures.expected_cents,
                collected_cents=figures.collected_cents,
                outstanding_cents=figures.outstanding_cents,
                ahead_cents=figures.ahead_cents,
                standing=standings[m.user_id],
            )
        )
    return out


def member_rows(
    *, unit: Unit, asked: ReportPeriod, schedules: list[LoadedSchedule]
) -> list[MemberRow]:
    """The rows per member of `unit_report(with_members=True)` alone."""
    counted_on = min(asked.last, timezone.localdate())
    return _member_rows(
        unit=unit, asked=asked, counted_on=counted_on, schedules=schedules
    )


REPORT_CACHE = "dues.report.v1"
REPORT_CACHE_SECONDS = 24 * 3600


def report_cache_key(
    *, unit: Unit, asked: ReportPeriod, schedules: list[LoadedSchedule], extra=""
) -> str:
    """The key under which what a report of `unit` for `asked` shows (figures,
    breakdown, chart, shares; not the rows per member) may be cached, made of what
    was read from the database in this request (3 queries): the unit's
    `UnitVersion`, which the triggers bump in the transaction of every change to
    its totals or to who counts in its subtree (migrations 0007 and 0010); the
    names of its children and of the levels; the schedules; and the day (members
    are counted as of today for the current period). So a cached report can only
    miss. `extra`: what else the cached value depends on (the language)."""
    version = (
        UnitVersion.objects.filter(unit_id=unit.pk)
        .values_list("version", flat=True)
        .first()
    )
    children = list(
        Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
        .order_by("pk")
        .values_list("pk", "slug", "name")
    )
    levels = list(
        Level.objects.order_by("depth").values_list("depth", "name", "plural")
    )
    rules = [
        (s.schedule.pk, str(s.schedule.valid_from), str(s.schedule.valid_until))
        for s in schedules
    ]
    digest = hashlib.sha256(
        repr((unit.name, children, levels, rules)).encode()
    ).hexdigest()[:32]
    today = timezone.localdate()
    return (
        f"{REPORT_CACHE}:{unit.pk}:{version or 0}:{asked.key}:{today}:{extra}:{digest}"
    )


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
            _("paid ahead"),
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
                euros(figures.ahead_cents),
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
                _("outstanding"),
                _("paid ahead"),
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
                    euros(member.outstanding_cents),
                    euros(member.ahead_cents),
                    member.standing.label,
                ]
            )
    return buffer.getvalue()
