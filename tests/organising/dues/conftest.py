"""Fixtures of the dues tests: a schedule in force, treasurers at each level."""

import uuid
from datetime import date

import pytest
from django.utils import timezone

from members.models import Membership, Role
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import PostalAddress, Schedule
from organising.dues.services import BracketSpec, ReducedSpec, schedule_create

TWO_YEARS_AGO = date(timezone.localdate().year - 2, 1, 1)
ADDRESS = "3 place du Marché\n69001 Lyon"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
CREDITOR = {
    "DUES_SEPA_CREDITOR_NAME": "Association de financement",
    "DUES_SEPA_CREDITOR_IBAN": "FR7630004000031234567890143",
    "DUES_SEPA_CREDITOR_BIC": "BNPAFRPPXXX",
    "DUES_SEPA_CREDITOR_ID": "FR72ZZZ123456",
}


def make_schedule(by, *, valid_from=TWO_YEARS_AGO, period=P.MONTHLY, **overrides):
    """Monthly; minimum 5 €; 0.5 % from 0, 1 % from 1,000 €, 1.5 % from 2,000 €,
    2 % from 4,000 €; students 2 €, retirees 3 € below 1,500 €; shares 25/25/25/25."""
    fields = {
        "name": "Barème",
        "period": period,
        "valid_from": valid_from,
        "minimum_monthly_cents": 500,
        "brackets": [
            BracketSpec(0, 50),
            BracketSpec(100_000, 100),
            BracketSpec(200_000, 150),
            BracketSpec(400_000, 200),
        ],
        "reduced": [
            ReducedSpec("student", 200),
            ReducedSpec("retired", 300, income_ceiling_cents=150_000),
        ],
        "shares": {0: 2500, 1: 2500, 2: 2500, 3: 2500},
        **overrides,
    }
    return schedule_create(by=by, **fields)


@pytest.fixture
def make_member(make_member):
    """Members of the dues tests joined two years ago (when the test schedule
    starts): payments dated before a member joined are refused."""

    def make(*args, **kwargs):
        user = make_member(*args, **kwargs)
        Membership.objects.filter(user=user).update(started_on=TWO_YEARS_AGO)
        PostalAddress.objects.create(member=user, lines=ADDRESS)
        return user

    return make


@pytest.fixture(autouse=True)
def receipt_issuer(settings):
    """The issuer a receipt names (receipts are refused without it)."""
    settings.DUES_RECEIPT_ISSUER = "Association de financement du parti"
    settings.DUES_RECEIPT_ISSUER_ADDRESS = "10 rue de la Paix\n75002 Paris"


@pytest.fixture
def national_treasurer(tree, make_member):
    return make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.TREASURER)])


@pytest.fixture
def schedule(national_treasurer) -> Schedule:
    return make_schedule(national_treasurer)


@pytest.fixture
def treasurer(tree, make_member):
    """The treasurer of cell A1x."""
    return make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])


@pytest.fixture
def section_treasurer(tree, make_member):
    return make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.TREASURER)])


@pytest.fixture
def key():
    """A fresh idempotency key each call."""
    return lambda: uuid.uuid4().hex


def this_month() -> date:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def creditor(settings):
    """The party's SEPA creditor settings, as a direct debit batch needs them."""
    for name, value in CREDITOR.items():
        setattr(settings, name, value)


def pay(member, by, key, amount=1000, *, paid_on=None, method="cash", **extra):
    """`by` records a payment of `amount` cents from `member` (today, in cash)."""
    return services.payment_record(
        member=member,
        amount_cents=amount,
        paid_on=paid_on or timezone.localdate(),
        method=method,
        by=by,
        idempotency_key=key,
        **extra,
    )


def make_late(member, periods: int = 2):
    """The member joined `periods` periods ago and paid nothing."""
    Membership.objects.filter(user=member).update(
        started_on=P.add_months(this_month(), -periods)
    )
    for offset in range(periods, -1, -1):
        services.charges_issue(on=P.add_months(this_month(), -offset))
