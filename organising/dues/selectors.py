"""Reads about dues that other capabilities and the pages use.

`standing_for(user)` is the one other capabilities call (a vote that requires good
standing): up to date, late by N periods, or exempt; `standings_for(ids)` answers for
many members in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation import access
from federation.models import Unit
from members.models import Membership
from members.selectors import page_by_member_name

from . import periods as P
from .models import (
    DUE_KINDS,
    PAID_KINDS,
    Balance,
    Declaration,
    DeclaredPayment,
    Exemption,
    Import,
    ImportLine,
    ImportProgress,
    LedgerEntry,
    LedgerLine,
    Mandate,
    Receipt,
    Schedule,
)
from .rates import LoadedSchedule, load_schedules, period_label, schedule_on

UP_TO_DATE, LATE, EXEMPT, NOT_MEMBER = "up_to_date", "late", "exempt", "not_member"
LABELS = {
    UP_TO_DATE: _("up to date"),
    LATE: _("late"),
    EXEMPT: _("exempt"),
    NOT_MEMBER: _("not an adherent"),
}


@dataclass(frozen=True)
class Standing:
    """A member's standing with their dues."""

    state: str
    late_periods: int = 0
    balance_cents: int = 0
    first_unpaid: date | None = None

    @property
    def is_good(self) -> bool:
        """Up to date or exempt: what a vote that requires good standing checks."""
        return self.state in (UP_TO_DATE, EXEMPT)

    @property
    def label(self) -> str:
        return str(LABELS[self.state])

    @property
    def tag(self) -> str:
        return {UP_TO_DATE: "tag-ok", EXEMPT: "tag-ok", LATE: "tag-err"}.get(
            self.state, ""
        )


def current_period_start(on: date | None = None) -> tuple[date, str]:
    """The first day and kind of the period containing `on` (today) under the
    schedule in force; monthly when there is none (one query)."""
    day = on or timezone.localdate()
    schedule = (
        Schedule.objects.filter(valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .only("period")
        .first()
    )
    kind = schedule.period if schedule else P.MONTHLY
    return P.period_start(day, kind), kind


def standings_for(
    user_ids: Iterable[int], *, on: date | None = None
) -> dict[int, Standing]:
    """The standing of each member, in five queries whatever their number."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    day = on or timezone.localdate()
    start, _kind = current_period_start(day)
    adherents = set(
        Membership.objects.current()
        .filter(user_id__in=ids, status=Membership.Status.ADHERENT)
        .values_list("user_id", flat=True)
    )
    exempt = set(
        Exemption.objects.in_force(day)
        .filter(member_id__in=adherents)
        .values_list("member_id", flat=True)
    )
    balances = {
        b.member_id: b for b in Balance.objects.filter(member_id__in=adherents - exempt)
    }
    late_ids = [
        member_id
        for member_id, b in balances.items()
        if b.first_unpaid is not None and b.first_unpaid < start
    ]
    late_counts = _late_period_counts(balances, late_ids, start)
    out: dict[int, Standing] = {}
    for user_id in ids:
        if user_id not in adherents:
            out[user_id] = Standing(NOT_MEMBER)
            continue
        balance = balances.get(user_id)
        amount = balance.balance_cents if balance else 0
        if user_id in exempt:
            out[user_id] = Standing(EXEMPT)
        elif user_id in late_counts:
            out[user_id] = Standing(
                LATE,
                late_periods=late_counts[user_id],
                balance_cents=amount,
                first_unpaid=balance.first_unpaid,
            )
        else:
            out[user_id] = Standing(UP_TO_DATE, balance_cents=amount)
    return out


def _late_period_counts(
    balances: dict[int, Balance], late_ids: list[int], start: date
) -> dict[int, int]:
    """How many called periods, from each member's first unpaid one to the current
    period (excluded), are still owed."""
    if not late_ids:
        return {}
    rows = (
        LedgerLine.objects.filter(
            member_id__in=late_ids,
            kind__in=DUE_KINDS,
            period__lt=start,
            period__gte=min(balances[m].first_unpaid for m in late_ids),
        )
        .values("member_id", "period")
        .annotate(due=Sum("amount_cents"))
    )
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        if row["due"] > 0 and row["period"] >= balances[row["member_id"]].first_unpaid:
            counts[row["member_id"]] += 1
    return {member_id: max(1, counts[member_id]) for member_id in late_ids}


def standing_for(user, *, on: date | None = None) -> Standing:
    """The member's standing: up to date, late by N periods, exempt (or not an
    adherent). What votes and other capabilities call."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Standing(NOT_MEMBER)
    return standings_for([user.pk], on=on)[user.pk]


# --- The member's own page -----------------------------------------------------------


@dataclass
class PeriodRow:
    key: str
    start: date
    due_cents: int
    paid_cents: int

    @property
    def remaining_cents(self) -> int:
        return self.due_cents - self.paid_cents

    @property
    def is_settled(self) -> bool:
        return self.due_cents <= self.paid_cents


@dataclass
class MyDues:
    standing: Standing
    schedule: LoadedSchedule | None
    declaration: Declaration | None
    expected_period_cents: int | None
    periods: list[PeriodRow]
    entries: list[LedgerEntry]
    declared: list[DeclaredPayment]
    mandate: Mandate | None
    receipt_years: list[tuple[int, int]]  # (year, amount paid)
    receipts: dict[int, Receipt] = field(default_factory=dict)


def my_dues(member, *, periods_shown: int = 12) -> MyDues:
    """What the member sees of their dues: expected, paid by period, standing,
    recent entries, declared payments, mandate and receipts."""
    schedules = load_schedules()
    today = timezone.localdate()
    loaded = schedule_on(schedules, today)
    declaration = (
        Declaration.objects.filter(member_id=member.pk)
        .select_related("bracket")
        .first()
    )
    expected = None
    if loaded is not None:
        expected = loaded.period_cents(
            income_floor_cents=declaration.bracket.lower_cents if declaration else None,
            category=declaration.category if declaration else "",
        )
    rows = (
        LedgerLine.objects.filter(member_id=member.pk)
        .values("period")
        .annotate(
            due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
            paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
        )
        .order_by("-period")[:periods_shown]
    )
    period_rows = [
        PeriodRow(
            key=period_label(row["period"], schedules),
            start=row["period"],
            due_cents=row["due"],
            paid_cents=row["paid"],
        )
        for row in rows
    ]
    by_year = (
        LedgerEntry.objects.filter(
            member_id=member.pk, kind__in=PAID_KINDS, paid_on__year__lt=today.year
        )
        .annotate(year=ExtractYear("paid_on"))
        .values("year")
        .annotate(total=Sum("amount_cents"))
        .order_by("-year")
    )
    receipt_years = [(row["year"], row["total"]) for row in by_year if row["total"] > 0]
    receipts = {
        r.year: r
        for r in Receipt.objects.filter(member_id=member.pk, cancelled_at__isnull=True)
    }
    return MyDues(
        standing=standing_for(member),
        schedule=loaded,
        declaration=declaration,
        expected_period_cents=expected,
        periods=period_rows,
        entries=list(
            LedgerEntry.objects.filter(member_id=member.pk)
            .exclude(kind="charge")
            .select_related("reverses")
            .order_by("-created_at", "-pk")[:20]
        ),
        declared=list(
            DeclaredPayment.objects.filter(member_id=member.pk).order_by("-created_at")[
                :10
            ]
        ),
        mandate=active_mandate(member=member),
        receipt_years=receipt_years,
        receipts=receipts,
    )


# --- Treasurers' lists ----------------------------------------------------------

PAGE_SIZE = 50


@dataclass
class MemberRow:
    membership: Membership
    standing: Standing

    @property
    def user(self):
        return self.membership.user


@dataclass
class MemberPage:
    rows: list[MemberRow]
    next_cursor: str | None


def unit_member_standings(
    *, unit: Unit, query: str = "", late_only: bool = False, after: str | None = None
) -> MemberPage:
    """The adherents of `unit` and below with their standing, by name, keyset
    paginated; a fixed number of queries whatever the page or the unit."""
    rows = Membership.objects.current().filter(
        unit__path__startswith=unit.path, status=Membership.Status.ADHERENT
    )
    if query:
        rows = rows.filter(
            Q(user__display_name__icontains=query) | Q(user__email__icontains=query)
        )
    if late_only:
        start, _kind = current_period_start()
        rows = rows.filter(user__dues_balance__first_unpaid__lt=start).exclude(
            user__dues_exemptions__in=Exemption.objects.in_force(timezone.localdate())
        )
    items, next_cursor = page_by_member_name(
        rows.select_related("user", "unit"), after=after, size=PAGE_SIZE
    )
    standings = standings_for([m.user_id for m in items])
    return MemberPage(
        rows=[MemberRow(membership=m, standing=standings[m.user_id]) for m in items],
        next_cursor=next_cursor,
    )


def units_kept(user) -> list[Unit]:
    """The units where the user holds an office that reads dues (their offices'
    units themselves, not every unit below; the roots for a superuser)."""
    viewer = access.viewer_for(user)
    if viewer.is_superuser:
        return list(Unit.objects.filter(depth=1))
    paths = viewer.office_paths(access.UNIT_ACTIONS["dues.report"])
    return list(Unit.objects.filter(path__in=paths).select_related("level"))


def active_mandate(*, member) -> Mandate | None:
    """The member's mandate in force (a new one revokes the previous)."""
    return Mandate.objects.filter(
        member_id=member.pk, state=Mandate.State.ACTIVE
    ).first()


def active_mandates(*, unit: Unit):
    """The active mandates of the current members of `unit` and below."""
    in_unit = Membership.objects.current().filter(
        user_id=OuterRef("member_id"), unit__path__startswith=unit.path
    )
    return Mandate.objects.filter(state=Mandate.State.ACTIVE).filter(Exists(in_unit))


def import_lines(*, batch: Import, status: str = "", limit: int = 300):
    """The lines of an import in file order, of one status if it is a valid one."""
    lines = batch.lines.select_related("member").order_by("line_number")
    if status in ImportLine.Status.values:
        lines = lines.filter(status=status)
    return list(lines[:limit])


def import_job_done(batch: Import) -> int:
    """How many lines the import's background job has handled so far: a running
    confirmation writes its progress in a row apart (`ImportProgress`, on a
    connection of its own), the import row has the rest."""
    if batch.job_kind == "confirm" and batch.job_state == Import.Job.RUNNING:
        done = (
            ImportProgress.objects.filter(batch_id=batch.pk)
            .values_list("done", flat=True)
            .first()
        )
        return max(batch.job_progress, done or 0)
    return batch.job_progress


def pending_declared(*, unit: Unit):
    return (
        DeclaredPayment.objects.filter(
            state=DeclaredPayment.State.PENDING, unit__path__startswith=unit.path
        )
        .select_related("member", "unit")
        .order_by("created_at")
    )


def member_entries(*, member, limit: int = 50) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.filter(member_id=member.pk)
        .select_related("created_by", "reverses")
        .prefetch_related("reversed_by")
        .order_by("-created_at", "-pk")[:limit]
    )
