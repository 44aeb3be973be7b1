"""What a member owes: the schedule's rules as pure functions over loaded rows.

Everything is integer cents and basis points; a rate applied to an income is
rounded half up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from . import periods
from .models import Bracket, ReducedRate, Schedule, Share

BASIS = 10_000


def apply_rate(amount_cents: int, rate_bp: int) -> int:
    """`rate_bp` basis points of `amount_cents`, rounded half up to the cent."""
    return (amount_cents * rate_bp + BASIS // 2) // BASIS


@dataclass(frozen=True)
class LoadedSchedule:
    """A schedule with its brackets (ascending), reduced rates and shares loaded."""

    schedule: Schedule
    brackets: tuple[Bracket, ...]
    reduced: dict[str, ReducedRate]
    shares: dict[int, int]  # level depth -> basis points

    @property
    def period(self) -> str:
        return self.schedule.period

    @property
    def months(self) -> int:
        return periods.MONTHS_IN[self.schedule.period]

    def covers(self, day: date) -> bool:
        return self.schedule.covers(day)

    def upper_of(self, bracket: Bracket) -> int | None:
        """The bracket's (exclusive) upper bound: the next bracket's lower bound."""
        for index, candidate in enumerate(self.brackets):
            if candidate.lower_cents == bracket.lower_cents:
                following = self.brackets[index + 1 : index + 2]
                return following[0].lower_cents if following else None
        return None

    @property
    def bracket_rows(self) -> list[tuple[Bracket, int | None, int]]:
        """(bracket, upper bound, monthly amount) for display."""
        return [
            (b, self.upper_of(b), self.bracket_monthly_cents(b)) for b in self.brackets
        ]

    def bracket_for_income(self, income_cents: int) -> Bracket:
        """The bracket whose range holds a net monthly income."""
        found = self.brackets[0]
        for bracket in self.brackets:
            if bracket.lower_cents <= income_cents:
                found = bracket
        return found

    def bracket_monthly_cents(self, bracket: Bracket) -> int:
        return max(
            self.schedule.minimum_monthly_cents,
            apply_rate(bracket.lower_cents, bracket.rate_bp),
        )

    def monthly_cents(
        self, *, income_floor_cents: int | None, category: str = ""
    ) -> int:
        """The monthly dues of a member who declared the bracket starting at
        `income_floor_cents` (None: nothing declared yet, the minimum applies)."""
        if income_floor_cents is None:
            normal = self.schedule.minimum_monthly_cents
            bracket_upper = None
        else:
            bracket = self.bracket_for_income(income_floor_cents)
            normal = self.bracket_monthly_cents(bracket)
            bracket_upper = self.upper_of(bracket)
        reduced = self.reduced.get(category) if category else None
        if reduced is not None and _reduced_applies(
            reduced, bracket_upper, income_floor_cents
        ):
            # A reduced rate never makes anyone pay more than the normal rate.
            return min(reduced.monthly_cents, normal)
        return normal

    def period_cents(
        self, *, income_floor_cents: int | None, category: str = ""
    ) -> int:
        """The dues of one period of this schedule (months x the monthly amount)."""
        return self.months * self.monthly_cents(
            income_floor_cents=income_floor_cents, category=category
        )


def _reduced_applies(
    reduced: ReducedRate, bracket_upper: int | None, income_floor: int | None
) -> bool:
    ceiling = reduced.income_ceiling_cents
    if ceiling is None:
        return True
    if income_floor is None:
        return True  # nothing declared: the minimum is below any ceiling anyway
    # The whole bracket must lie below the ceiling: its upper bound is at most it.
    return bracket_upper is not None and bracket_upper <= ceiling


_loaded: dict[tuple, list[LoadedSchedule]] = {}


def load_schedules() -> list[LoadedSchedule]:
    """Every schedule with its rules, oldest first. Schedules are only ever added
    (the previous one closed at the same time), so one small query tells whether the
    copy loaded earlier by this process is still right; otherwise 4 queries."""
    version = tuple(
        Schedule.objects.aggregate(
            n=Count("pk"), top=Max("pk"), at=Max("created_at"), until=Max("valid_until")
        ).values()
    )
    found = _loaded.get(version)
    if found is not None:
        return list(found)
    schedules = list(
        Schedule.objects.order_by("valid_from").prefetch_related(
            "brackets",
            "reduced_rates",
            Prefetch("shares", queryset=Share.objects.select_related("level")),
        )
    )
    loaded = [
        LoadedSchedule(
            schedule=s,
            brackets=tuple(sorted(s.brackets.all(), key=lambda b: b.lower_cents)),
            reduced={r.category: r for r in s.reduced_rates.all()},
            shares={share.level.depth: share.share_bp for share in s.shares.all()},
        )
        for s in schedules
    ]
    _loaded.clear()
    _loaded[version] = loaded
    return list(loaded)


def schedule_on(schedules: list[LoadedSchedule], day: date) -> LoadedSchedule | None:
    for loaded in schedules:
        if loaded.covers(day):
            return loaded
    return None


def period_label(start: date, schedules: list[LoadedSchedule]) -> str:
    """The key of the period starting on `start` ("2025-03", "2025-Q1", "2025") in
    the kind of the schedule covering it; monthly when none does."""
    loaded = schedule_on(schedules, start)
    return periods.period_key(start, loaded.period if loaded else periods.MONTHLY)


def schedule_in_force(on: date | None = None) -> LoadedSchedule | None:
    """The schedule in force on `on` (today), or None."""
    return schedule_on(load_schedules(), on or timezone.localdate())


@dataclass(frozen=True)
class Bucket:
    """One period of the schedule in force on its days (monthly where none is):
    its first and last day and its key ("2025-03", "2025-Q1", "2025"). A period is
    cut where its schedule ends or starts."""

    start: date
    end: date
    kind: str
    key: str


def bucket_on(schedules: list[LoadedSchedule], day: date) -> Bucket:
    """The period of the schedule in force on `day` that holds it."""
    loaded = schedule_on(schedules, day)
    kind = loaded.period if loaded else periods.MONTHLY
    nominal = periods.period_start(day, kind)
    start, end = nominal, periods.period_end(nominal, kind)
    if loaded is not None:
        start = max(start, loaded.schedule.valid_from)
        if loaded.schedule.valid_until is not None:
            end = min(end, loaded.schedule.valid_until)
    else:
        # Before the first schedule: months, cut where it starts.
        following = [s for s in schedules if s.schedule.valid_from > day]
        if following:
            end = min(end, following[0].schedule.valid_from - timedelta(days=1))
    return Bucket(start, end, kind, periods.period_key(nominal, kind))


def buckets_between(
    schedules: list[LoadedSchedule], first: date, last: date
) -> list[Bucket]:
    """The periods (see `Bucket`) that hold the days from `first` to `last`."""
    out, day = [], first
    while day <= last:
        bucket = bucket_on(schedules, day)
        out.append(bucket)
        day = bucket.end + timedelta(days=1)
    return out
