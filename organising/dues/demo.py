"""The dues of the demo organisation (`manage.py seed_demo`): a schedule in force,
members' brackets, six months of dues called and mostly paid (transfers imported from
a bank statement, cheques, cash, and this month's direct debit batch when the server
has a SEPA creditor), a few late members, an exemption, two direct debit mandates and
a payment a member declared, waiting for the treasurer. Before them, last year's dues
(the months before those six), called and paid, with each adherent's postal address
and last year's tax receipts issued, so that members can download one.

Everything goes through the dues services, so the ledger, the balances and the audit
trail are what they would be had treasurers and members done it by hand. The data is
the same on every run on an empty database for a given day: the six periods end with
the current month, and every choice comes from a seeded random generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from federation.models import Territory, Unit
from members.models import Membership, Role, User

from . import periods as P
from .models import Kind, LedgerLine, Method
from .rates import schedule_in_force
from .services import (
    BracketSpec,
    ReducedSpec,
    charges_issue,
    debit_batch_create,
    declaration_set,
    declared_payment_confirm,
    declared_payment_create,
    exemption_grant,
    import_confirm,
    import_create,
    mandate_create,
    member_reference,
    payment_record,
    postal_address_set,
    receipts_issue_for_unit,
    schedule_create,
)

SEED = 2026
PERIODS = 6  # monthly periods called, the current one last
NEW_JOINERS_FROM = 3  # index of the period from which the recent members are called
# Outside the demo member's cell (which has its own cases): how many members are
# late by one, two and three periods.
LATE_ELSEWHERE = {1: 10, 2: 5, 3: 3}

# Net monthly income brackets (lower bound in cents, rate in basis points): a member
# owes the rate of their bracket's lower bound each month, never less than the
# minimum. The weights say how many members declare each bracket.
BRACKETS = [
    (0, 50, 10),  # 0.5 % of 0 €: the minimum, 4 €
    (100_000, 80, 18),  # from 1,000 €: 8 €
    (150_000, 100, 26),  # from 1,500 €: 15 €
    (200_000, 125, 24),  # from 2,000 €: 25 €
    (300_000, 150, 13),  # from 3,000 €: 45 €
    (450_000, 200, 7),  # from 4,500 €: 90 €
    (600_000, 250, 2),  # from 6,000 €: 150 €
]
MINIMUM_CENTS = 400
REDUCED = [
    ReducedSpec("student", 200, income_ceiling_cents=100_000),
    ReducedSpec("unemployed", 200, income_ceiling_cents=150_000),
    ReducedSpec("retired", 600, income_ceiling_cents=150_000),
]
SHARES = {0: 4000, 1: 2500, 2: 2000, 3: 1500}  # national, federation, section, cell

# The schedule two years before, kept as history on the schedules page.
OLD_BRACKETS = [(0, 50), (100_000, 75), (150_000, 90), (200_000, 110), (300_000, 140)]
OLD_MINIMUM_CENTS = 350

# Direct debit mandates (valid French test IBANs).
IBANS = ["FR7630006000011234567890189", "FR1420041010050500013M02606"]

TRANSFER, CHEQUE, CASH, DIRECT_DEBIT = "transfer", "cheque", "cash", "direct_debit"


@dataclass
class Plan:
    """What the demo makes of one adherent."""

    membership: Membership
    floor: int | None = 150_000  # declared bracket; None: nothing declared
    category: str = ""
    method: str = TRANSFER
    first: int = 0  # index of the first period called
    last_paid: int = PERIODS - 1  # index of the last period paid (-1: none)
    exempt: bool = False
    declares_pending: bool = False  # declares a payment the treasurer will confirm
    declares_cheque: bool = False  # the last cheque was declared, then confirmed

    @property
    def user(self) -> User:
        return self.membership.user


def seed_dues_demo(*, national: Unit, national_treasurer: User, member: User) -> None:
    """Seed the dues of the demo organisation under `national`. `member` (the demo
    member) is late by one period, so that their page shows what to pay; the
    treasurer of their cell has a declared payment to confirm."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    current = today.replace(day=1)
    starts = [P.add_months(current, index - PERIODS + 1) for index in range(PERIODS)]
    memberships = list(
        Membership.objects.current()
        .filter(unit__path__startswith=national.path)
        .select_related("user", "unit")
        .order_by("user_id")
    )
    treasurers = {
        role.unit_id: role.user
        for role in Role.objects.filter(
            kind=Role.Kind.TREASURER, unit__path__startswith=national.path
        ).select_related("user")
    }
    plans = _plans(rng, memberships, member=member, treasurers=treasurers)
    _backdate_memberships(rng, memberships, plans, starts)

    _schedules(national_treasurer, first_period=starts[0])
    loaded = schedule_in_force(today)
    for plan in plans:
        if plan.floor is not None:
            declaration_set(
                member=plan.user,
                income_floor_cents=plan.floor,
                category=plan.category,
            )
    _past_year(
        rng,
        plans,
        treasurers=treasurers,
        national=national,
        national_treasurer=national_treasurer,
        before=starts[0],
    )
    for start in starts:
        charges_issue(on=start)

    def monthly(plan: Plan) -> int:
        return loaded.period_cents(
            income_floor_cents=plan.floor, category=plan.category
        )

    def paid_on(plan: Plan, index: int, first_day: int, last_day: int) -> date:
        day = starts[index] + timedelta(days=rng.randint(first_day, last_day) - 1)
        return min(day, today)

    for plan in plans:
        if plan.exempt:
            exemption_grant(
                member=plan.user,
                by=treasurers[plan.membership.unit_id],
                starts_on=starts[plan.last_paid + 1],
                reason="Difficultés financières passagères (bureau de cellule)",
            )

    mandated = [plan for plan in plans if plan.method == DIRECT_DEBIT]
    for plan, iban in zip(mandated, IBANS, strict=False):
        mandate_create(
            member=plan.user, holder_name=plan.user.display_name.upper(), iban=iban
        )

    # Transfers: each cell treasurer imports the bank statement of the half-year.
    statements: dict[int, list[tuple[date, str, int]]] = {}
    for plan in plans:
        if plan.method not in (TRANSFER, DIRECT_DEBIT):
            continue
        last = (
            plan.last_paid
            if plan.method == TRANSFER
            else min(plan.last_paid, PERIODS - 2)
        )
        for index in range(plan.first, last + 1):
            label = (
                f"VIR SEPA {plan.user.display_name.upper()} "
                f"{member_reference(plan.user)} COTISATION "
                f"{starts[index]:%m/%Y}"
            )
            statements.setdefault(plan.membership.unit_id, []).append(
                (paid_on(plan, index, 1, 8), label, monthly(plan))
            )
    home = next(m.unit_id for m in memberships if m.user_id == member.pk)
    statements.setdefault(home, []).append(
        # A transfer nobody could match: the treasurer will find who sent it.
        (starts[-2] + timedelta(days=11), "VIR INST M OU MME GARNIER COTIS", 1500)
    )
    cells = Unit.objects.in_bulk(list(statements))
    for unit_id, lines in sorted(statements.items()):
        cell = cells[unit_id]
        rows = ["Date opération;Libellé;Crédit"] + [
            f"{day:%d/%m/%Y};{label};{amount // 100},{amount % 100:02d}"
            for day, label, amount in sorted(lines)
        ]
        batch = import_create(
            unit=cell,
            by=treasurers[unit_id],
            filename=f"releve-{cell.slug}-{starts[0]:%Y-%m}-{starts[-1]:%Y-%m}.csv",
            content=("\n".join(rows) + "\n").encode(),
        )
        import_confirm(batch=batch, by=treasurers[unit_id])

    # Cheques (one per quarter) and cash (at the cell's monthly meeting).
    for plan in plans:
        if plan.method not in (CHEQUE, CASH):
            continue
        treasurer = treasurers[plan.membership.unit_id]
        step = 3 if plan.method == CHEQUE else 1
        for first in range(plan.first, plan.last_paid + 1, step):
            months = min(step, plan.last_paid + 1 - first)
            fields = {
                "member": plan.user,
                "amount_cents": months * monthly(plan),
                "paid_on": paid_on(plan, first, 3, 14),
                "method": plan.method,
            }
            if plan.method == CHEQUE:
                fields["cheque_number"] = f"{rng.randint(1_000_000, 9_999_999)}"
            last_cheque = first + step > plan.last_paid
            if plan.declares_cheque and last_cheque:
                declared, _created = declared_payment_create(
                    **fields,
                    idempotency_key=f"demo:declared:{plan.user.pk}:{first}",
                    note="Chèque remis en réunion de cellule",
                )
                declared_payment_confirm(declared=declared, by=treasurer)
                continue
            payment_record(
                **fields,
                by=treasurer,
                idempotency_key=f"demo:payment:{plan.user.pk}:{first}",
                note="Réunion de cellule" if plan.method == CASH else "",
            )

    # Direct debit: the cell treasurer prepares this month's batch, when the server
    # has a SEPA creditor (DUES_SEPA_CREDITOR_*) to collect for.
    configured = all(
        getattr(settings, f"DUES_SEPA_CREDITOR_{name}", "")
        for name in ("NAME", "IBAN", "ID")
    )
    debited = {
        plan.membership.unit_id for plan in mandated if plan.last_paid == PERIODS - 1
    }
    # Collected after the members' pre-notification delay (14 days by default).
    notice = getattr(settings, "DUES_SEPA_PRENOTIFICATION_DAYS", 14)
    if configured:
        for unit_id in sorted(debited):
            debit_batch_create(
                unit=cells[unit_id],
                period=starts[-1],
                collection_date=today + timedelta(days=notice + 1),
                by=treasurers[unit_id],
            )

    # A transfer a member says they made for last month, waiting for the treasurer.
    for plan in plans:
        if plan.declares_pending:
            declared_payment_create(
                member=plan.user,
                amount_cents=monthly(plan),
                paid_on=today - timedelta(days=2),
                method=Method.TRANSFER,
                periods=[P.period_key(starts[-2], P.MONTHLY)],
                reference=member_reference(plan.user),
                note="Virement fait depuis mon appli, désolé pour le retard !",
                idempotency_key=f"demo:declared:{plan.user.pk}:pending",
            )

    _receipts(rng, plans, national=national, by=national_treasurer)


STREETS = [
    "rue de la République",
    "avenue Jean-Jaurès",
    "place du Marché",
    "rue Victor-Hugo",
    "boulevard de la Liberté",
    "chemin des Vignes",
]


def _past_year(
    rng: random.Random,
    plans: list[Plan],
    *,
    treasurers: dict[int, User],
    national: Unit,
    national_treasurer: User,
    before: date,
) -> None:
    """Last year's months (those before the six recent periods) called and paid in
    full: transfers imported quarter by quarter, cheques, cash and direct debits
    recorded by the cell treasurers (receipts are issued at the end: `_receipts`)."""
    year = timezone.localdate().year - 1
    months = [
        month
        for month in P.periods_between(date(year, 1, 1), date(year, 12, 1), P.MONTHLY)
        if month < before
    ]
    for month in months:
        charges_issue(on=month)
    called: dict[int, list[tuple[date, int]]] = {}
    for member_id, period, amount in (
        LedgerLine.objects.filter(kind=Kind.CHARGE, period__in=months)
        .order_by("member_id", "period")
        .values_list("member_id", "period", "amount_cents")
    ):
        called.setdefault(member_id, []).append((period, amount))
    statements: dict[int, list[tuple[date, str, int]]] = {}
    for plan in plans:
        owed = called.get(plan.user.pk, [])
        # Transfers by quarter, cash by half-year, one cheque for the year (fewer
        # recordings one by one: the demo seeds in seconds).
        months_per_payment = {CHEQUE: 12, CASH: 6}.get(plan.method, 3)
        quarters: dict[int, list[tuple[date, int]]] = {}
        for period, amount in owed:
            quarters.setdefault((period.month - 1) // months_per_payment, []).append(
                (period, amount)
            )
        for quarter, periods in sorted(quarters.items()):
            day = max(
                periods[0][0] + timedelta(days=rng.randint(2, 12)),
                plan.membership.started_on,
            )
            day = min(day, date(year, 12, 31))
            amount = sum(amount for _period, amount in periods)
            if plan.method == TRANSFER:
                label = (
                    f"VIR SEPA {plan.user.display_name.upper()} "
                    f"{member_reference(plan.user)} COTISATION T{quarter + 1} {year}"
                )
                statements.setdefault(plan.membership.unit_id, []).append(
                    (day, label, amount)
                )
                continue
            fields = {}
            if plan.method == CHEQUE:
                fields["cheque_number"] = f"{rng.randint(1_000_000, 9_999_999)}"
            payment_record(
                member=plan.user,
                amount_cents=amount,
                paid_on=day,
                method=plan.method,
                by=treasurers[plan.membership.unit_id],
                idempotency_key=f"demo:past:{plan.user.pk}:{year}:{quarter}",
                **fields,
            )
    cells = Unit.objects.in_bulk(list(statements))
    for unit_id, lines in sorted(statements.items()):
        rows = ["Date opération;Libellé;Crédit"] + [
            f"{day:%d/%m/%Y};{label};{amount // 100},{amount % 100:02d}"
            for day, label, amount in sorted(lines)
        ]
        batch = import_create(
            unit=cells[unit_id],
            by=treasurers[unit_id],
            filename=f"releve-{cells[unit_id].slug}-{year}.csv",
            content=("\n".join(rows) + "\n").encode(),
        )
        import_confirm(batch=batch, by=treasurers[unit_id])


def _receipts(
    rng: random.Random, plans: list[Plan], *, national: Unit, by: User
) -> None:
    """Every adherent gives the postal address a tax receipt names, then the
    national treasurer issues last year's receipts (through the receipts service),
    once every payment of that year is recorded: an issued year is closed."""
    year = timezone.localdate().year - 1
    territories = {
        unit_id: (postcode, commune)
        for unit_id, postcode, commune in Territory.objects.order_by("-pk").values_list(
            "unit_id", "postcode", "commune"
        )
    }
    for plan in plans:
        postcode, commune = territories.get(plan.membership.unit_id, ("69001", "Lyon"))
        postal_address_set(
            member=plan.user,
            lines=f"{rng.randint(1, 140)} {rng.choice(STREETS)}\n{postcode} {commune}",
        )
    receipts_issue_for_unit(unit=national, year=year, by=by)


def _plans(
    rng: random.Random,
    memberships: list[Membership],
    *,
    member: User,
    treasurers: dict[int, User],
) -> list[Plan]:
    """Who declares what and pays how: most members up to date, a few late by one
    to three periods; the demo member's cell shows every case a treasurer meets."""
    home = next(m.unit_id for m in memberships if m.user_id == member.pk)
    officers = set(
        Role.objects.filter(ended_on__isnull=True).values_list("user_id", flat=True)
    )
    plans: list[Plan] = []
    neighbours: list[Plan] = []  # the other adherents of the demo member's cell
    for membership in memberships:
        if membership.status != Membership.Status.ADHERENT:
            continue
        floor = rng.choices([b[0] for b in BRACKETS], [b[2] for b in BRACKETS])[0]
        category = ""
        if floor == 0:
            category = rng.choice(["student", "student", "unemployed", ""])
        elif floor == 100_000:
            category = rng.choice(["retired", "unemployed", "", "", "", ""])
        plan = Plan(
            membership=membership,
            floor=floor,
            category=category,
            method=rng.choices([TRANSFER, CHEQUE, CASH], [45, 30, 25])[0],
        )
        if rng.random() < 0.15:
            plan.last_paid = PERIODS - 2  # this month not paid yet: still up to date
        if membership.user_id not in officers and rng.random() < 0.04:
            plan.floor, plan.category = None, ""  # never declared: the minimum
        plans.append(plan)
        if membership.user_id == member.pk:
            # The demo member: 25 € a month by transfer, last month forgotten.
            plan.floor, plan.category, plan.method = 200_000, "", TRANSFER
            plan.last_paid = PERIODS - 3
        elif membership.user_id == treasurers[home].pk:
            plan.method, plan.last_paid = DIRECT_DEBIT, PERIODS - 1
        elif membership.user_id in officers:
            plan.last_paid = max(plan.last_paid, PERIODS - 2)  # officers are not late
        elif membership.unit_id == home:
            neighbours.append(plan)
    cases = [
        {"method": DIRECT_DEBIT, "last_paid": PERIODS - 1},
        {"method": TRANSFER, "last_paid": PERIODS - 3, "declares_pending": True},
        {"method": CASH, "last_paid": PERIODS - 5},  # late by three periods
        {"method": TRANSFER, "last_paid": NEW_JOINERS_FROM - 1, "exempt": True},
        {"method": CHEQUE, "first": NEW_JOINERS_FROM, "last_paid": PERIODS - 1},
        {"method": CHEQUE, "last_paid": PERIODS - 1, "declares_cheque": True},
        {"method": CASH, "last_paid": PERIODS - 4},  # late by two periods
        {"method": TRANSFER, "last_paid": PERIODS - 1},
    ]
    for plan, case in zip(neighbours, cases, strict=False):
        for name, value in case.items():
            setattr(plan, name, value)
    others = [
        p
        for p in plans
        if p.membership.unit_id != home and p.membership.user_id not in officers
    ]
    # Late elsewhere: a fixed number of members behind by one, two, three periods.
    picked = rng.sample(others, sum(LATE_ELSEWHERE.values()))
    for late, count in LATE_ELSEWHERE.items():
        for plan in picked[:count]:
            plan.last_paid = PERIODS - 2 - late
        picked = picked[count:]
    # Two recent members, called from the same period as the one in the cell.
    for plan in others[5::60][:2]:
        plan.first = NEW_JOINERS_FROM
    return plans


def _backdate_memberships(
    rng: random.Random,
    memberships: list[Membership],
    plans: list[Plan],
    starts: list[date],
) -> None:
    """The demo's members joined years ago (the seed creates them today), except the
    recent ones, who joined during the period they are first called for."""
    recent = {plan.membership.pk for plan in plans if plan.first > 0}
    oldest = date(2009, 1, 1)
    span = (starts[0] - timedelta(days=60) - oldest).days
    for membership in memberships:
        if membership.pk in recent:
            membership.started_on = starts[NEW_JOINERS_FROM] + timedelta(days=9)
        else:
            membership.started_on = oldest + timedelta(days=rng.randint(0, span))
    Membership.objects.bulk_update(memberships, ["started_on"])


def _schedules(by: User, *, first_period: date) -> None:
    """The schedule in force since January of the first period's year, and the one
    it replaced."""
    year = first_period.year
    schedule_create(
        by=by,
        name=f"Barème {year - 2}",
        period=P.MONTHLY,
        valid_from=date(year - 2, 1, 1),
        minimum_monthly_cents=OLD_MINIMUM_CENTS,
        brackets=[BracketSpec(lower, rate) for lower, rate in OLD_BRACKETS],
        reduced=[ReducedSpec("student", 150), ReducedSpec("unemployed", 150)],
        shares=SHARES,
        note="Adopté par le conseil national.",
    )
    schedule_create(
        by=by,
        name=f"Barème {year}",
        period=P.MONTHLY,
        valid_from=date(year, 1, 1),
        minimum_monthly_cents=MINIMUM_CENTS,
        brackets=[BracketSpec(lower, rate) for lower, rate, _weight in BRACKETS],
        reduced=REDUCED,
        shares=SHARES,
        note=(
            "Adopté par le conseil national : une tranche de 6 000 € et plus, "
            "minimum porté à 4 € par mois, tarif réduit pour les retraités."
        ),
    )
