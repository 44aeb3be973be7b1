"""The demo's dues (`seed_demo`): what the demo member and the cell treasurer see,
and a ledger that adds up."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Q, Sum
from django.urls import reverse

from members.models import Membership, User
from members.templatetags.maillage_text import period_label
from organising.dues import periods as P
from organising.dues.models import (
    DUE_KINDS,
    PAID_KINDS,
    Balance,
    DebitBatch,
    DeclaredPayment,
    Import,
    Kind,
    LedgerEntry,
    LedgerLine,
    Mandate,
    Method,
    Receipt,
)
from organising.dues.rates import schedule_in_force
from organising.dues.reports import unit_report
from organising.dues.selectors import (
    EXEMPT,
    LATE,
    UP_TO_DATE,
    current_period_start,
    standing_for,
    standings_for,
)

DOMAIN = "demo.maillage.fr"


@pytest.fixture
def seeded(db, settings, creditor, django_capture_on_commit_callbacks):
    """The demo organisation, on a server with a SEPA creditor set up."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    return {
        key: User.objects.get(email=f"{key}@{DOMAIN}")
        for key in ("membre", "tresorier.cellule", "tresorier.national")
    }


def test_the_demo_member_sees_one_period_late_and_what_to_pay(seeded, client_as):
    member = seeded["membre"]
    standing = standing_for(member)
    assert (standing.state, standing.late_periods) == (LATE, 1)
    assert standing.balance_cents < 0

    html = client_as(member).get(reverse("dues:mine")).content.decode()
    assert 'data-standing="late"' in html
    assert reverse("dues:declare") in html
    start, kind = current_period_start()
    for period in (P.previous_period(start, kind), start):
        # last month and this one owed, in words ("November 2026")
        assert period_label(P.period_key(period, kind)) in html
    assert "MLG" in html  # the transfer reference


def test_the_cell_treasurer_lists_standings_and_confirms_a_declared_payment(
    seeded, client_as
):
    treasurer = seeded["tresorier.cellule"]
    cell = Membership.objects.current().get(user=treasurer).unit
    client = client_as(treasurer)

    html = client.get(reverse("dues:unit", args=[cell.slug])).content.decode()
    shown = Counter(
        state
        for state in (UP_TO_DATE, LATE, EXEMPT)
        for _ in range(html.count(f'data-standing="{state}"'))
    )
    assert shown[UP_TO_DATE] >= 5 and shown[LATE] >= 3 and shown[EXEMPT] == 1
    assert "Camille Martin" in html
    assert reverse("dues:declared", args=[cell.slug]) in html

    declared = DeclaredPayment.objects.get(state=DeclaredPayment.State.PENDING)
    assert declared.unit == cell
    assert standing_for(declared.member).state == LATE
    page = client.get(reverse("dues:declared", args=[cell.slug]))
    assert declared.member.display_name in page.content.decode()
    client.post(reverse("dues:declared_confirm", args=[declared.pk]))
    assert standing_for(declared.member).state == UP_TO_DATE


def test_the_demo_ledger_adds_up(seeded):
    national = seeded["tresorier.national"].roles.get(kind="treasurer").unit
    loaded = schedule_in_force()
    assert loaded is not None and len(loaded.brackets) >= 5 and loaded.reduced
    start, kind = current_period_start()
    called = sorted(
        LedgerLine.objects.filter(kind=Kind.CHARGE)
        .values_list("period", flat=True)
        .distinct()
    )
    recent = [P.add_months(start, offset) for offset in range(-5, 1)]
    last_year = [
        month
        for month in P.periods_between(
            date(start.year - 1, 1, 1), date(start.year - 1, 12, 1), P.MONTHLY
        )
        if month < recent[0]
    ]
    assert called == last_year + recent

    # Every entry is the sum of its lines; every balance the sum of its member's.
    entries = LedgerEntry.objects.annotate(lines_cents=Sum("lines__amount_cents"))
    assert all(e.amount_cents == e.lines_cents for e in entries)
    sums = {
        row["member_id"]: (row["due"], row["paid"])
        for row in LedgerLine.objects.values("member_id").annotate(
            due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
            paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
        )
    }
    balances = {b.member_id: (b.due_cents, b.paid_cents) for b in Balance.objects.all()}
    assert balances == sums

    # The national report's months and breakdown agree with the balances.
    report = unit_report(unit=national)
    assert sum(m.expected_cents for m in report.months) == sum(
        due for due, _ in sums.values()
    )
    assert sum(m.collected_cents for m in report.months) == sum(
        paid for _, paid in sums.values()
    )
    assert sum(c.expected_cents for c in report.children) == (
        report.totals.expected_cents
    )
    adherents = list(
        Membership.objects.current()
        .filter(status=Membership.Status.ADHERENT)
        .values_list("user_id", flat=True)
    )
    standings = standings_for(adherents)
    assert report.totals.members == len(adherents)
    assert report.totals.up_to_date == sum(s.is_good for s in standings.values())
    late = Counter(s.late_periods for s in standings.values() if s.state == LATE)
    assert set(late) == {1, 2, 3}
    assert sum(late.values()) < len(adherents) / 5  # most members are up to date

    methods = set(
        LedgerEntry.objects.filter(kind=Kind.PAYMENT).values_list("method", flat=True)
    )
    assert {Method.CASH, Method.CHEQUE, Method.TRANSFER, Method.DIRECT_DEBIT} <= (
        methods
    )
    assert Mandate.objects.filter(state=Mandate.State.ACTIVE).count() == 2
    assert DebitBatch.objects.get().count == 2
    # Each cell's statement of the half-year, and of last year before it.
    last_year = f"-{date.today().year - 1}.csv"
    imports = Import.objects.filter(state=Import.State.CONFIRMED)
    assert imports.exclude(filename__endswith=last_year).count() == 18
    assert imports.filter(filename__endswith=last_year).count() == 18
    # The only e-mails: each debited member's pre-notification of the debit.
    mandated = set(
        Mandate.objects.filter(state=Mandate.State.ACTIVE).values_list(
            "member__email", flat=True
        )
    )
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(mandated)


def test_demo_members_download_last_years_receipt(seeded, client_as):
    """Last year's dues were paid and its receipts issued: the demo member downloads
    theirs, and the year's report adds up like the ledger."""
    member = seeded["membre"]
    year = date.today().year - 1
    receipt = Receipt.objects.get(member=member, year=year, cancelled_at__isnull=True)
    paid = LedgerEntry.objects.filter(
        member=member, kind__in=PAID_KINDS, paid_on__year=year
    ).aggregate(total=Sum("amount_cents"))["total"]
    assert receipt.amount_cents == paid > 0
    html = client_as(member).get(reverse("dues:mine")).content.decode()
    url = reverse("dues:my_receipt", args=[year])
    assert url in html
    response = client_as(member).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    issued = Receipt.objects.filter(year=year, cancelled_at__isnull=True).count()
    adherents = Membership.objects.filter(
        status=Membership.Status.ADHERENT, started_on__lt=date(year, 12, 1)
    ).count()
    assert issued >= adherents * 0.9
    national = seeded["tresorier.national"].roles.get(kind="treasurer").unit
    report = unit_report(unit=national, period=str(year))
    ledger = LedgerLine.objects.filter(period__year=year).aggregate(
        due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
        paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
    )
    assert (report.totals.expected_cents, report.totals.collected_cents) == (
        ledger["due"],
        ledger["paid"],
    )
