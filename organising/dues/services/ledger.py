"""The ledger: recording payments once, correcting them by reversing entries, calling
the dues of each period, exemptions, and the balances kept in step with it all."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from members.models import Membership, User
from organising.audit.services import audit_record

from .. import periods as P
from ..models import (
    DUE_KINDS,
    PAID_KINDS,
    Balance,
    Declaration,
    Exemption,
    Kind,
    LedgerEntry,
    LedgerLine,
    Receipt,
    Schedule,
    Source,
)
from ..rates import LoadedSchedule, load_schedules, schedule_in_force, schedule_on
from .base import (
    IdempotencyConflict,
    adherent_membership,
    cents_str,
    check_key,
    check_payment,
    client_key,
    fingerprint,
    require_member_scope,
    setting,
    split_evenly,
)

CHUNK = 2000


@dataclass
class Recorded:
    """What a recording returns: the entry, and whether this call created it (False
    when it answered a repeated request with the entry recorded the first time)."""

    entry: LedgerEntry
    created: bool


@dataclass
class PaymentPlan:
    """A payment checked and allocated to periods, ready to be written."""

    member_id: int
    unit_id: int
    amount_cents: int
    paid_on: date
    method: str
    key: str
    fingerprint: str
    allocation: list[tuple[date, int]]
    cheque_number: str = ""
    reference: str = ""
    note: str = ""
    source: str = Source.FORM
    extra: dict = field(default_factory=dict)

    def entry(self, by) -> LedgerEntry:
        return LedgerEntry(
            kind=Kind.PAYMENT,
            member_id=self.member_id,
            unit_id=self.unit_id,
            amount_cents=self.amount_cents,
            method=self.method,
            paid_on=self.paid_on,
            cheque_number=self.cheque_number,
            reference=self.reference,
            note=self.note,
            source=self.source,
            idempotency_key=self.key,
            fingerprint=self.fingerprint,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )

    def lines(self, entry: LedgerEntry) -> list[LedgerLine]:
        return [
            LedgerLine(
                entry=entry,
                member_id=self.member_id,
                unit_id=self.unit_id,
                period=period,
                kind=Kind.PAYMENT,
                amount_cents=amount,
            )
            for period, amount in self.allocation
        ]


# --- Balances ------------------------------------------------------------------------

_BALANCE_SQL = """
WITH per AS (
  SELECT member_id, period,
         SUM(CASE WHEN kind IN ('charge', 'waiver')
                  THEN amount_cents ELSE 0 END) AS due,
         SUM(CASE WHEN kind IN ('charge', 'waiver')
                  THEN 0 ELSE amount_cents END) AS paid
  FROM dues_ledgerline
  WHERE member_id IN ({ids})
  GROUP BY member_id, period
), cumulated AS (
  SELECT member_id, period, due,
         SUM(due) OVER (PARTITION BY member_id ORDER BY period
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS due_so_far,
         SUM(paid) OVER (PARTITION BY member_id) AS paid_total
  FROM per
)
SELECT member_id, SUM(due), MAX(paid_total),
       MIN(CASE WHEN due > 0 AND due_so_far > paid_total THEN period END)
FROM cumulated
GROUP BY member_id
"""


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def balances_refresh(member_ids: Iterable[int]) -> None:
    """Recompute the balances of these members from the ledger, payments applied to
    the oldest called periods first. Locks their balance rows so that concurrent
    recordings for a member are applied one after the other. Call it inside the
    transaction that wrote their lines."""
    ids = sorted(set(member_ids))
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        Balance.objects.bulk_create(
            [Balance(member_id=member_id) for member_id in chunk], ignore_conflicts=True
        )
        list(
            Balance.objects.select_for_update()
            .filter(member_id__in=chunk)
            .order_by("member_id")
            .values_list("member_id", flat=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                _BALANCE_SQL.format(ids=", ".join(["%s"] * len(chunk))), chunk
            )
            computed = {row[0]: row[1:] for row in cursor.fetchall()}
        rows = []
        for member_id in chunk:
            due, paid, first_unpaid = computed.get(member_id, (0, 0, None))
            rows.append(
                Balance(
                    member_id=member_id,
                    due_cents=int(due or 0),
                    paid_cents=int(paid or 0),
                    first_unpaid=_as_date(first_unpaid),
                    updated_at=now,
                )
            )
        Balance.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["member"],
            update_fields=["due_cents", "paid_cents", "first_unpaid", "updated_at"],
        )


def outstanding_by_period(
    member_ids: Iterable[int],
) -> dict[int, list[tuple[date, int]]]:
    """For each member, the called periods not fully paid for, oldest first, with
    what remains due on each (per-period view; payments are not carried over)."""
    ids = list(member_ids)
    out: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK * 5):
        rows = (
            LedgerLine.objects.filter(member_id__in=ids[start : start + CHUNK * 5])
            .values("member_id", "period")
            .annotate(
                due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
                paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
            )
            .filter(due__gt=0)
            .filter(due__gt=F("paid"))
            .order_by("member_id", "period")
            .values_list("member_id", "period", "due", "paid")
        )
        for member_id, period, due, paid in rows:
            out[member_id].append((period, due - paid))
    return out


def allocate(
    *,
    amount_cents: int,
    paid_on: date,
    outstanding: list[tuple[date, int]],
    schedules: list[LoadedSchedule],
) -> list[tuple[date, int]]:
    """Spread a payment without stated periods: the oldest periods still owed first,
    what is left on the period of the payment date (or the current one). Mutates
    `outstanding` so that several payments of the same member chain correctly."""
    remaining = amount_cents
    shares: dict[date, int] = {}
    while remaining > 0 and outstanding:
        period, owed = outstanding[0]
        taken = min(owed, remaining)
        shares[period] = shares.get(period, 0) + taken
        remaining -= taken
        if taken == owed:
            outstanding.pop(0)
        else:
            outstanding[0] = (period, owed - taken)
    if remaining > 0:
        loaded = schedule_on(schedules, paid_on) or schedule_on(
            schedules, timezone.localdate()
        )
        if loaded is None:
            raise ValidationError(
                {"periods": _("No dues schedule is in force for this payment date.")}
            )
        day = paid_on if loaded.covers(paid_on) else timezone.localdate()
        period = P.period_start(day, loaded.period)
        shares[period] = shares.get(period, 0) + remaining
    return sorted(shares.items())


# --- Payments ----------------------------------------------------------------------


@dataclass
class PaymentFacts:
    """What the rules on a payment's date and amount need to know about its members,
    loaded once for one payment or for a whole import: when each joined, what each
    paid in each year, and the years their receipts already closed."""

    joined: dict[int, date]
    paid: dict[tuple[int, int], int]
    closed: dict[tuple[int, int], str]

    @classmethod
    def load(cls, member_ids: Iterable[int]) -> PaymentFacts:
        ids = list(set(member_ids))
        joined = dict(
            Membership.objects.filter(user_id__in=ids)
            .values("user_id")
            .annotate(first=Min("started_on"))
            .values_list("user_id", "first")
        )
        paid = {
            (row["member_id"], row["paid_on__year"]): row["total"]
            for row in LedgerEntry.objects.filter(
                member_id__in=ids, kind__in=PAID_KINDS
            )
            .values("member_id", "paid_on__year")
            .annotate(total=Sum("amount_cents"))
            .order_by()
        }
        closed = {
            (member_id, year): f"{year}-{number:06d}"
            for member_id, year, number in Receipt.objects.filter(
                member_id__in=ids, cancelled_at__isnull=True
            ).values_list("member_id", "year", "number")
        }
        return cls(joined=joined, paid=paid, closed=closed)

    def check(
        self, *, member_id: int, paid_on: date, amount_cents: int, schedules
    ) -> None:
        """A ValidationError naming `paid_on` or `amount_cents` if the payment may
        not be recorded: dated before the first schedule or before the member
        joined, in a year whose receipt was issued, or above the yearly ceiling."""
        starts = [loaded.schedule.valid_from for loaded in schedules]
        if starts and paid_on < min(starts):
            raise ValidationError(
                {
                    "paid_on": _(
                        "No dues schedule was in force on %(day)s (the first one "
                        "starts on %(start)s)."
                    )
                    % {"day": paid_on.isoformat(), "start": min(starts).isoformat()}
                }
            )
        joined = self.joined.get(member_id)
        # Dues often come with the application, days before the membership is
        # recorded: a grace of a month (DUES_PAYMENT_BEFORE_JOINING_DAYS).
        grace = timedelta(days=setting("DUES_PAYMENT_BEFORE_JOINING_DAYS", 31))
        if joined is not None and paid_on < joined - grace:
            raise ValidationError(
                {
                    "paid_on": _("%(day)s is before the member joined (%(joined)s).")
                    % {"day": paid_on.isoformat(), "joined": joined.isoformat()}
                }
            )
        label = self.closed.get((member_id, paid_on.year))
        if label is not None:
            raise ValidationError(
                {
                    "paid_on": _(
                        "Receipt %(label)s closed %(year)s for this member: a "
                        "payment dated in %(year)s can no longer be recorded."
                    )
                    % {"label": label, "year": paid_on.year}
                }
            )
        ceiling = setting("DUES_YEARLY_CEILING_CENTS", 750_000)
        before = self.paid.get((member_id, paid_on.year), 0)
        if before + amount_cents > ceiling:
            raise ValidationError(
                {
                    "amount_cents": _(
                        "This member already paid %(paid)s € in %(year)s: with "
                        "%(amount)s € more, they would give the party more than the "
                        "%(max)s € a person may give to political parties in a year "
                        "(dues and gifts, article 11-4 of the law of 11 March 1988)."
                    )
                    % {
                        "paid": cents_str(before),
                        "year": paid_on.year,
                        "amount": cents_str(amount_cents),
                        "max": cents_str(ceiling),
                    }
                }
            )

    def add(self, *, member_id: int, paid_on: date, amount_cents: int) -> None:
        key = (member_id, paid_on.year)
        self.paid[key] = self.paid.get(key, 0) + amount_cents


def payment_plan(
    *,
    member,
    membership: Membership,
    amount_cents: int,
    paid_on: date,
    method: str,
    idempotency_key: str,
    periods: list | None = None,
    cheque_number: str = "",
    reference: str = "",
    note: str = "",
    source: str = Source.FORM,
    schedules: list[LoadedSchedule] | None = None,
    outstanding: list[tuple[date, int]] | None = None,
    allow_future: bool = False,
    facts: PaymentFacts | None = None,
) -> PaymentPlan:
    """Check a payment and decide which periods it pays for (no write). `facts`
    (loaded when not given) is told of the payment, so that the payments of one
    import add up against the yearly ceiling."""
    key = check_key(idempotency_key)
    schedules = load_schedules() if schedules is None else schedules
    fields = check_payment(
        amount_cents=amount_cents,
        paid_on=paid_on,
        method=method,
        schedules=schedules,
        periods=periods,
        cheque_number=cheque_number,
        reference=reference,
        note=note,
        allow_future=allow_future,
    )
    amount_cents, paid_on, starts = fields.amount_cents, fields.paid_on, fields.periods
    facts = PaymentFacts.load([member.pk]) if facts is None else facts
    facts.check(
        member_id=member.pk,
        paid_on=paid_on,
        amount_cents=amount_cents,
        schedules=schedules,
    )
    if starts:
        allocation = list(
            zip(starts, split_evenly(amount_cents, len(starts)), strict=True)
        )
        if any(amount == 0 for _, amount in allocation):
            raise ValidationError(
                {"periods": _("The amount is too small to cover that many periods.")}
            )
    else:
        if outstanding is None:
            outstanding = outstanding_by_period([member.pk]).get(member.pk, [])
        allocation = allocate(
            amount_cents=amount_cents,
            paid_on=paid_on,
            outstanding=outstanding,
            schedules=schedules,
        )
    facts.add(member_id=member.pk, paid_on=paid_on, amount_cents=amount_cents)
    return PaymentPlan(
        member_id=member.pk,
        unit_id=membership.unit_id,
        amount_cents=amount_cents,
        paid_on=paid_on,
        method=method,
        key=key,
        fingerprint=fingerprint(
            member=member.pk,
            amount=amount_cents,
            paid_on=paid_on,
            method=method,
            periods=[start.isoformat() for start in starts],
            cheque=fields.cheque_number,
            reference=(reference or "").strip(),
        ),
        allocation=allocation,
        cheque_number=fields.cheque_number,
        reference=fields.reference,
        note=fields.note,
        source=source,
    )


def _replay(existing: LedgerEntry, fp: str, by) -> Recorded:
    """The entry recorded the first time, answered to a repeated request only if it
    is the same request (same fingerprint; an entry without one is never a replay)
    and `by` may still read it, like a fresh read would check."""
    if (
        not existing.fingerprint
        or existing.fingerprint != fp
        or not access.can(by, "dues.manage", existing.unit)
    ):
        raise IdempotencyConflict(
            {
                "idempotency_key": _(
                    "This request was already used for a different recording."
                )
            }
        )
    return Recorded(entry=existing, created=False)


def _write_plan(plan: PaymentPlan, by) -> Recorded:
    """Insert the entry and its lines; a concurrent request that won the race on the
    idempotency key makes this one answer with its entry instead."""
    try:
        with transaction.atomic():
            entry = plan.entry(by)
            entry.save(force_insert=True)
    except IntegrityError:
        existing = (
            LedgerEntry.objects.filter(idempotency_key=plan.key)
            .select_related("unit")
            .first()
        )
        if existing is None:
            raise
        return _replay(existing, plan.fingerprint, by)
    LedgerLine.objects.bulk_create(plan.lines(entry))
    return Recorded(entry=entry, created=True)


@transaction.atomic
def payment_record(
    *,
    member,
    amount_cents: int,
    paid_on: date,
    method: str,
    by,
    idempotency_key: str,
    periods: list | None = None,
    cheque_number: str = "",
    reference: str = "",
    note: str = "",
    source: str = Source.FORM,
    allow_future: bool = False,
    internal_key: bool = False,
) -> Recorded:
    """Record a payment a treasurer received, once: the same idempotency key answers
    with the entry recorded the first time. Without periods, the payment pays the
    oldest periods still owed first. The key is the caller's own (kept in their key
    space) unless `internal_key` says the server made it ("declared:…",
    "import:…")."""
    key = (
        check_key(idempotency_key) if internal_key else client_key(by, idempotency_key)
    )
    existing = (
        LedgerEntry.objects.filter(idempotency_key=key).select_related("unit").first()
    )
    membership = require_member_scope(by, "dues.manage", member)
    if membership.status != Membership.Status.ADHERENT:
        raise ValidationError(
            {
                "member": _("%(name)s is not an adherent: only adherents pay dues.")
                % {"name": member}
            }
        )
    # One payment of a member at a time, so that the yearly ceiling holds.
    User.objects.select_for_update().filter(pk=member.pk).first()
    plan = payment_plan(
        member=member,
        membership=membership,
        amount_cents=amount_cents,
        paid_on=paid_on,
        method=method,
        idempotency_key=key,
        periods=periods,
        cheque_number=cheque_number,
        reference=reference,
        note=note,
        source=source,
        allow_future=allow_future,
    )
    if existing is not None:
        return _replay(existing, plan.fingerprint, by)
    recorded = _write_plan(plan, by)
    if recorded.created:
        balances_refresh([member.pk])
        audit_record(
            actor=by,
            action="dues.payment_record",
            target=recorded.entry,
            unit=membership.unit,
            data={
                "member": member.pk,
                "amount_cents": plan.amount_cents,
                "periods": [p.isoformat() for p, _ in plan.allocation],
                "source": source,
            },
        )
    return recorded


@transaction.atomic
def entry_reverse(
    *, entry: LedgerEntry, by, reason: str, idempotency_key: str
) -> Recorded:
    """Correct a payment by a reversing entry of the opposite amount on the same
    periods (the original stays as it was). A payment is reversed at most once."""
    key = client_key(by, idempotency_key)
    reason = (reason or "").strip()
    access.require(by, "dues.manage", entry.unit)
    existing = (
        LedgerEntry.objects.filter(idempotency_key=key).select_related("unit").first()
    )
    if existing is not None:
        return _replay(existing, fingerprint(reverses=entry.pk), by)
    if entry.kind != Kind.PAYMENT:
        raise ValidationError(_("Only a payment can be corrected this way."))
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is corrected.")})
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    earlier = LedgerEntry.objects.filter(reverses=entry).first()
    if earlier is not None and earlier.kind == Kind.RETURN:
        raise ValidationError(
            _("The bank already returned this debit: the payment is taken back.")
        )
    if earlier is not None:
        raise ValidationError(_("This payment was already corrected."))
    recorded = _reversing_entry(
        entry=entry,
        kind=Kind.REVERSAL,
        key=key,
        note=reason,
        by=by,
        source=Source.FORM,
    )
    audit_record(
        actor=by,
        action="dues.entry_reverse",
        target=recorded.entry,
        unit=entry.unit,
        data={
            "reverses": entry.pk,
            "reason": reason,
            "amount_cents": entry.amount_cents,
        },
    )
    return recorded


def _reversing_entry(
    *, entry: LedgerEntry, kind: str, key: str, note: str, by, source: str
) -> Recorded:
    reversal = LedgerEntry(
        kind=kind,
        member_id=entry.member_id,
        unit_id=entry.unit_id,
        amount_cents=-entry.amount_cents,
        method=entry.method,
        paid_on=entry.paid_on,  # it lowers what was paid in the original's year
        reference=entry.reference,
        note=note[:300],
        source=source,
        idempotency_key=key,
        fingerprint=fingerprint(reverses=entry.pk),
        reverses=entry,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            reversal.save(force_insert=True)
    except IntegrityError:
        existing = LedgerEntry.objects.filter(
            Q(idempotency_key=key) | Q(reverses=entry)
        ).first()
        if existing is None:
            raise
        if existing.idempotency_key != key:
            raise ValidationError(_("This payment was already corrected.")) from None
        return Recorded(entry=existing, created=False)
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(
                entry=reversal,
                member_id=line.member_id,
                unit_id=line.unit_id,
                period=line.period,
                kind=kind,
                amount_cents=-line.amount_cents,
            )
            for line in entry.lines.all()
        ]
    )
    balances_refresh([entry.member_id])
    return Recorded(entry=reversal, created=True)


# --- Calling the dues of a period ----------------------------------------------------


def expected_cents(member, *, on: date | None = None, schedules=None) -> int | None:
    """What the member owes for the period containing `on` under their latest
    declaration (None when no schedule is in force)."""
    schedules = load_schedules() if schedules is None else schedules
    loaded = schedule_on(schedules, on or timezone.localdate())
    if loaded is None:
        return None
    declaration = (
        Declaration.objects.filter(member_id=member.pk)
        .select_related("bracket")
        .first()
    )
    return loaded.period_cents(
        income_floor_cents=declaration.bracket.lower_cents if declaration else None,
        category=declaration.category if declaration else "",
    )


@transaction.atomic
def charges_issue(*, on: date | None = None, by=None) -> int:
    """Call the dues of the period containing `on` (today) for every adherent who was
    a member during it, is not exempt, and has not been called for it yet. Safe to
    run any number of times: a member is called once per period (a unique
    constraint), and runs are serialised by a lock on the schedule. Returns how
    many members were called."""
    day = on or timezone.localdate()
    schedules = load_schedules()
    loaded = schedule_on(schedules, day)
    if loaded is None:
        return 0
    Schedule.objects.select_for_update().filter(pk=loaded.schedule.pk).first()
    start = P.period_start(day, loaded.period)
    end = P.period_end(start, loaded.period)
    latest = Declaration.objects.filter(member_id=OuterRef("user_id")).order_by(
        "-declared_at", "-pk"
    )
    members = (
        Membership.objects.current()
        .filter(status=Membership.Status.ADHERENT, started_on__lte=end)
        .exclude(
            Exists(
                LedgerLine.objects.filter(
                    member_id=OuterRef("user_id"), period=start, kind=Kind.CHARGE
                )
            )
        )
        .exclude(
            Exists(
                Exemption.objects.in_force(start).filter(member_id=OuterRef("user_id"))
            )
        )
        .annotate(
            income_floor=Subquery(latest.values("bracket__lower_cents")[:1]),
            category=Subquery(latest.values("category")[:1]),
        )
        .values_list("user_id", "unit_id", "income_floor", "category")
        .order_by("user_id")
    )
    calls = []
    for user_id, unit_id, income_floor, category in members.iterator(chunk_size=CHUNK):
        amount = loaded.period_cents(
            income_floor_cents=income_floor, category=category or ""
        )
        if amount > 0:
            calls.append((user_id, unit_id, amount))
    if not calls:
        return 0
    root = Unit.objects.get_first_root_node()
    entry = LedgerEntry.objects.create(
        kind=Kind.CHARGE,
        unit=root,
        amount_cents=sum(amount for *_, amount in calls),
        source=Source.SYSTEM,
        idempotency_key=f"charge:{start.isoformat()}:{uuid.uuid4().hex}",
        note=P.period_key(start, loaded.period),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    for index in range(0, len(calls), CHUNK):
        LedgerLine.objects.bulk_create(
            [
                LedgerLine(
                    entry=entry,
                    member_id=user_id,
                    unit_id=unit_id,
                    period=start,
                    kind=Kind.CHARGE,
                    amount_cents=amount,
                )
                for user_id, unit_id, amount in calls[index : index + CHUNK]
            ]
        )
    balances_refresh([user_id for user_id, *_ in calls])
    audit_record(
        actor=by,
        action="dues.charges_issue",
        target=entry,
        unit=root,
        data={"period": start.isoformat(), "members": len(calls)},
    )
    return len(calls)


# --- Exemptions ----------------------------------------------------------------------


@transaction.atomic
def exemption_grant(
    *, member, by, starts_on: date, ends_on: date | None = None, reason: str
) -> Exemption:
    """Exempt a member from the period containing `starts_on` to the one containing
    `ends_on` (open-ended without it). Dues already called for those periods are
    waived by an entry of the opposite amount."""
    membership = require_member_scope(by, "dues.manage", member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the member is exempt.")})
    schedules = load_schedules()
    loaded = schedule_on(schedules, starts_on) or schedule_on(
        schedules, timezone.localdate()
    )
    kind = loaded.period if loaded else P.MONTHLY
    first = P.period_start(starts_on, kind)
    last = P.period_end(P.period_start(ends_on, kind), kind) if ends_on else None
    if last is not None and last < first:
        raise ValidationError({"ends_on": _("The end comes before the start.")})
    exemption = Exemption.objects.create(
        member=member, starts_on=first, ends_on=last, reason=reason, created_by=by
    )
    called = (
        LedgerLine.objects.filter(
            member_id=member.pk, kind__in=DUE_KINDS, period__gte=first
        )
        .filter(Q() if last is None else Q(period__lte=last))
        .values("period", "unit_id")
        .annotate(due=Sum("amount_cents"))
        .order_by("period")
    )
    waived = [
        (row["period"], row["unit_id"], row["due"]) for row in called if row["due"] > 0
    ]
    if waived:
        entry = LedgerEntry.objects.create(
            kind=Kind.WAIVER,
            member=member,
            unit=membership.unit,
            amount_cents=-sum(due for *_, due in waived),
            source=Source.FORM,
            idempotency_key=f"waiver:{exemption.pk}",
            fingerprint=fingerprint(waiver=exemption.pk),
            note=reason[:300],
            created_by=by,
        )
        LedgerLine.objects.bulk_create(
            [
                LedgerLine(
                    entry=entry,
                    member_id=member.pk,
                    unit_id=unit_id,
                    period=period,
                    kind=Kind.WAIVER,
                    amount_cents=-due,
                )
                for period, unit_id, due in waived
            ]
        )
        balances_refresh([member.pk])
    audit_record(
        actor=by,
        action="dues.exemption_grant",
        target=exemption,
        unit=membership.unit,
        data={"member": member.pk, "from": first.isoformat(), "waived": len(waived)},
    )
    return exemption


@transaction.atomic
def charge_correct(*, member, period: date, by, reason: str) -> Recorded:
    """Take back the dues called for `period` when they should not have been (the
    member had left, was exempt, was called twice by a wrong schedule): an entry of
    the opposite amount on that period, with the reason. The call itself stays in
    the ledger, like every entry."""
    membership = require_member_scope(by, "dues.correct", member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the charge is corrected.")})
    if not isinstance(period, date):
        raise ValidationError({"period": _("Choose a period.")})
    User.objects.select_for_update().filter(pk=member.pk).first()
    called = list(
        LedgerLine.objects.filter(
            member_id=member.pk, period=period, kind__in=DUE_KINDS
        )
        .values("unit_id")
        .annotate(due=Sum("amount_cents"))
        .order_by("unit_id")
    )
    owed = [(row["unit_id"], row["due"]) for row in called if row["due"] > 0]
    if not owed:
        raise ValidationError(
            {
                "period": _("Nothing called for %(period)s is left to correct.")
                % {"period": period.isoformat()}
            }
        )
    entry = LedgerEntry.objects.create(
        kind=Kind.WAIVER,
        member=member,
        unit=membership.unit,
        amount_cents=-sum(due for _unit, due in owed),
        source=Source.FORM,
        idempotency_key=f"correction:{member.pk}:{period.isoformat()}:"
        f"{uuid.uuid4().hex}",
        fingerprint=fingerprint(correction=member.pk, period=period.isoformat()),
        note=reason[:300],
        created_by=by,
    )
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(
                entry=entry,
                member_id=member.pk,
                unit_id=unit_id,
                period=period,
                kind=Kind.WAIVER,
                amount_cents=-due,
            )
            for unit_id, due in owed
        ]
    )
    balances_refresh([member.pk])
    audit_record(
        actor=by,
        action="dues.charge_correct",
        target=entry,
        unit=membership.unit,
        data={
            "member": member.pk,
            "period": period.isoformat(),
            "amount_cents": entry.amount_cents,
            "reason": reason,
        },
    )
    return Recorded(entry=entry, created=True)


@transaction.atomic
def exemption_end(
    *, exemption: Exemption, by, reason: str, last_day: date | None = None
) -> Exemption:
    """End an exemption after the period containing `last_day` (today), saying
    why: dues are called again from the next period on."""
    require_member_scope(by, "dues.correct", exemption.member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the exemption ends.")})
    exemption = Exemption.objects.select_for_update().get(pk=exemption.pk)
    schedules = load_schedules()
    day = last_day or timezone.localdate()
    loaded = schedule_on(schedules, day)
    kind = loaded.period if loaded else P.MONTHLY
    end = P.period_end(P.period_start(day, kind), kind)
    if end < exemption.starts_on:
        end = P.period_end(exemption.starts_on, kind)
    if exemption.ends_on is not None and exemption.ends_on <= end:
        raise ValidationError(
            _("This exemption already ends on %(day)s.")
            % {"day": exemption.ends_on.isoformat()}
        )
    exemption.ends_on = end
    exemption.save(update_fields=["ends_on"])
    audit_record(
        actor=by,
        action="dues.exemption_end",
        target=exemption,
        data={
            "member": exemption.member_id,
            "until": end.isoformat(),
            "reason": reason,
        },
    )
    return exemption


# --- Declarations --------------------------------------------------------------------


@transaction.atomic
def declaration_set(*, member, income_floor_cents: int, category: str = "", by=None):
    """The member declares the bracket of their net monthly income (and a reduced
    rate category); it applies to the dues called from now on."""
    by = by or member
    if by.pk != member.pk:
        raise PermissionDenied(_("Only the member declares their income bracket."))
    adherent_membership(member)
    loaded = schedule_in_force()
    if loaded is None or not loaded.brackets:
        raise ValidationError(_("No dues schedule is in force."))
    if not isinstance(income_floor_cents, int) or income_floor_cents < 0:
        raise ValidationError({"bracket": _("Choose a bracket.")})
    bracket = next(
        (b for b in loaded.brackets if b.lower_cents == income_floor_cents), None
    )
    if bracket is None:
        raise ValidationError(
            {"bracket": _("This bracket is not in the schedule in force.")}
        )
    category = category or ""
    if category and category not in loaded.reduced:
        raise ValidationError(
            {"category": _("The schedule in force has no reduced rate of this kind.")}
        )
    declaration = Declaration.objects.create(
        member=member, bracket=bracket, category=category
    )
    # The bracket itself is private: the audit row says that, not which.
    audit_record(actor=by, action="dues.declaration_set", target=declaration)
    return declaration
