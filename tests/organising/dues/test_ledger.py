"""Recording payments once, correcting them, calling dues, standing, exemptions and
payments declared by members."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from members.models import Membership
from organising.audit.models import AuditEntry
from organising.dues import periods as P
from organising.dues import selectors, services
from organising.dues.models import (
    Balance,
    DeclaredPayment,
    Kind,
    LedgerEntry,
    LedgerLine,
)

from .conftest import pay, this_month

TODAY = timezone.localdate


def backdate(member, months: int):
    """Make the member an adherent since `months` months ago."""
    Membership.objects.filter(user=member).update(
        started_on=P.add_months(this_month(), -months)
    )


def call_months(months: int):
    for offset in range(months, -1, -1):
        services.charges_issue(on=P.add_months(this_month(), -offset))


# --- Recording -----------------------------------------------------------------


def test_payment_is_recorded_with_who_and_when(schedule, treasurer, member):
    recorded = pay(member, treasurer, "k1", amount=1250)
    entry = recorded.entry
    assert recorded.created
    assert entry.amount_cents == 1250 and entry.kind == Kind.PAYMENT
    assert entry.created_by == treasurer and entry.created_at is not None
    assert sum(entry.lines.values_list("amount_cents", flat=True)) == 1250
    assert AuditEntry.objects.filter(
        action="dues.payment_record", actor=treasurer
    ).exists()


def test_same_key_records_once(schedule, treasurer, member):
    first = pay(member, treasurer, "double-click")
    second = pay(member, treasurer, "double-click")
    assert first.created and not second.created
    assert second.entry.pk == first.entry.pk
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1
    assert Balance.objects.get(member=member).paid_cents == 1000


def test_same_key_for_a_different_payment_is_a_conflict(schedule, treasurer, member):
    pay(member, treasurer, "reused")
    with pytest.raises(services.IdempotencyConflict):
        pay(member, treasurer, "reused", amount=2000)
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (0, "amount_cents"),
        (-500, "amount_cents"),
        (12.5, "amount_cents"),
        (True, "amount_cents"),
    ],
)
def test_zero_negative_or_fractional_amounts_are_refused(
    schedule, treasurer, member, amount, field
):
    with pytest.raises(ValidationError) as error:
        pay(member, treasurer, "k", amount=amount)
    assert field in error.value.message_dict
    assert not LedgerEntry.objects.exists()


def test_fractions_of_a_cent_are_refused_when_parsing_euros():
    assert services.parse_euros("12,50") == 1250
    assert services.parse_euros("1 234,5 €") == 123450
    assert services.parse_euros("1.234,50") == 123450
    with pytest.raises(ValidationError):
        services.parse_euros("12,505")
    with pytest.raises(ValidationError):
        services.parse_euros("douze")


def test_member_outside_the_treasurers_units_is_refused(
    tree, schedule, treasurer, make_member
):
    elsewhere = make_member(tree.cell_a1y)
    with pytest.raises(PermissionDenied):
        pay(elsewhere, treasurer, "k")
    assert not LedgerEntry.objects.exists()


def test_section_treasurer_records_for_every_cell_below(
    tree, schedule, section_treasurer, make_member
):
    in_a1x = make_member(tree.cell_a1x)
    assert pay(in_a1x, section_treasurer, "k").created
    with pytest.raises(PermissionDenied):
        pay(make_member(tree.cell_a2x), section_treasurer, "k2")


def test_secretary_cannot_record(tree, schedule, cell_secretary, member):
    with pytest.raises(PermissionDenied):
        pay(member, cell_secretary, "k")


def test_period_outside_the_schedule_is_refused(schedule, treasurer, member):
    before = P.period_key(P.add_months(schedule.valid_from, -1), P.MONTHLY)
    with pytest.raises(ValidationError) as error:
        pay(member, treasurer, "k", periods=[before])
    assert "periods" in error.value.message_dict
    too_far = P.period_key(P.add_months(this_month(), 14), P.MONTHLY)
    with pytest.raises(ValidationError):
        pay(member, treasurer, "k", periods=[too_far])
    with pytest.raises(ValidationError):
        pay(member, treasurer, "k", periods=["2025-Q1"])  # the schedule is monthly
    with pytest.raises(ValidationError):
        pay(member, treasurer, "k", periods=["2025-13"])
    assert not LedgerEntry.objects.exists()


def test_future_date_cheque_without_number_and_unknown_method_are_refused(
    schedule, treasurer, member
):
    with pytest.raises(ValidationError):
        pay(member, treasurer, "k", paid_on=TODAY() + timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        pay(member, treasurer, "k", method="cheque")
    assert "cheque_number" in error.value.message_dict
    with pytest.raises(ValidationError):
        pay(member, treasurer, "k", method="bitcoin")
    assert pay(member, treasurer, "k", method="cheque", cheque_number="0012345").created


def test_stated_periods_share_the_amount_to_the_cent(schedule, treasurer, member):
    keys = [P.period_key(P.add_months(this_month(), i), P.MONTHLY) for i in range(3)]
    entry = pay(member, treasurer, "k", amount=1001, periods=keys).entry
    assert sorted(entry.lines.values_list("amount_cents", flat=True)) == [333, 334, 334]
    assert sum(entry.lines.values_list("amount_cents", flat=True)) == 1001


def test_payment_without_periods_pays_the_oldest_owed_first(
    schedule, treasurer, member
):
    backdate(member, 2)
    call_months(2)  # three periods called, 5 € each
    entry = pay(member, treasurer, "k", amount=1200).entry
    lines = dict(entry.lines.values_list("period", "amount_cents"))
    assert lines == {
        P.add_months(this_month(), -2): 500,
        P.add_months(this_month(), -1): 500,
        this_month(): 200,
    }


# --- Correcting ----------------------------------------------------------------


def test_reversal_is_a_new_entry_and_the_original_stays(schedule, treasurer, member):
    original = pay(member, treasurer, "k").entry
    reversal = services.entry_reverse(
        entry=original, by=treasurer, reason="wrong member", idempotency_key="r"
    ).entry
    original.refresh_from_db()
    assert original.amount_cents == 1000
    assert reversal.amount_cents == -1000 and reversal.reverses == original
    assert reversal.created_by == treasurer
    assert Balance.objects.get(member=member).paid_cents == 0
    again = services.entry_reverse(
        entry=original, by=treasurer, reason="wrong member", idempotency_key="r"
    )
    assert not again.created
    with pytest.raises(ValidationError):
        services.entry_reverse(
            entry=original, by=treasurer, reason="x", idempotency_key="r2"
        )
    with pytest.raises(ValidationError):
        services.entry_reverse(
            entry=reversal, by=treasurer, reason="x", idempotency_key="r3"
        )


def test_reversal_needs_a_reason_and_a_treasurer(
    schedule, treasurer, cell_secretary, member
):
    entry = pay(member, treasurer, "k").entry
    with pytest.raises(ValidationError):
        services.entry_reverse(
            entry=entry, by=treasurer, reason=" ", idempotency_key="r"
        )
    with pytest.raises(PermissionDenied):
        services.entry_reverse(
            entry=entry, by=cell_secretary, reason="x", idempotency_key="r"
        )


# --- Calling dues and standing -------------------------------------------------


def test_dues_are_called_once_per_member_and_period(schedule, member, treasurer):
    adherents = Membership.objects.current().filter(status="adherent").count()
    assert services.charges_issue() == adherents
    assert services.charges_issue() == 0
    assert LedgerLine.objects.filter(kind=Kind.CHARGE, member=member).count() == 1


def test_charges_follow_the_declared_bracket(schedule, member):
    services.declaration_set(member=member, income_floor_cents=200_000)
    services.charges_issue()
    line = LedgerLine.objects.get(kind=Kind.CHARGE, member=member)
    assert line.amount_cents == 3000 and line.period == this_month()


def test_sympathisers_are_not_called(tree, schedule, make_member):
    sympathiser = make_member(tree.cell_a1x, status=Membership.Status.SYMPATHISER)
    services.charges_issue()
    assert not LedgerLine.objects.filter(member=sympathiser).exists()
    assert selectors.standing_for(sympathiser).state == selectors.NOT_MEMBER


def test_standing_up_to_date_then_late_by_n_periods(schedule, treasurer, member):
    backdate(member, 3)
    call_months(3)
    standing = selectors.standing_for(member)
    assert standing.state == selectors.LATE and standing.late_periods == 3
    assert not standing.is_good
    pay(member, treasurer, "k1", amount=1000)  # the two oldest
    assert selectors.standing_for(member).late_periods == 1
    pay(member, treasurer, "k2", amount=500)
    standing = selectors.standing_for(member)
    assert standing.state == selectors.UP_TO_DATE and standing.is_good
    # The current period is due, not late.
    assert standing.balance_cents == -500


def test_partial_payment_leaves_the_period_owed(schedule, treasurer, member):
    backdate(member, 1)
    call_months(1)
    pay(member, treasurer, "k", amount=499)
    standing = selectors.standing_for(member)
    assert standing.state == selectors.LATE and standing.late_periods == 1


def test_exemption_waives_called_dues_and_makes_the_member_exempt(
    schedule, treasurer, member
):
    backdate(member, 2)
    call_months(2)
    services.exemption_grant(
        member=member,
        by=treasurer,
        starts_on=P.add_months(this_month(), -2),
        reason="hardship",
    )
    standing = selectors.standing_for(member)
    assert standing.state == selectors.EXEMPT and standing.is_good
    assert Balance.objects.get(member=member).due_cents == 0
    services.charges_issue(on=P.add_months(this_month(), 1))
    assert not LedgerLine.objects.filter(
        member=member, kind=Kind.CHARGE, period=P.add_months(this_month(), 1)
    ).exists()


def test_standings_for_many_members_take_a_fixed_number_of_queries(
    tree, schedule, make_member, django_assert_max_num_queries
):
    members = [make_member(tree.cell_a1x) for _ in range(12)]
    for m in members:
        backdate(m, 2)
    call_months(2)
    with django_assert_max_num_queries(5):
        standings = selectors.standings_for([m.pk for m in members])
    assert {s.late_periods for s in standings.values()} == {2}


# --- Declared payments ---------------------------------------------------------


def test_member_declares_and_treasurer_confirms_once(schedule, treasurer, member):
    declared, created = services.declared_payment_create(
        member=member,
        amount_cents=1500,
        paid_on=TODAY(),
        method="transfer",
        idempotency_key="d1",
    )
    again, created_again = services.declared_payment_create(
        member=member,
        amount_cents=1500,
        paid_on=TODAY(),
        method="transfer",
        idempotency_key="d1",
    )
    assert created and not created_again and again.pk == declared.pk
    assert not LedgerEntry.objects.exists()  # nothing counts before the treasurer
    services.declared_payment_confirm(declared=declared, by=treasurer)
    services.declared_payment_confirm(declared=declared, by=treasurer)
    declared.refresh_from_db()
    assert declared.state == DeclaredPayment.State.CONFIRMED
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT, member=member).count() == 1
    assert declared.entry.source == "declared"


def test_declared_payment_can_be_turned_down(schedule, treasurer, member):
    declared, _ = services.declared_payment_create(
        member=member,
        amount_cents=1500,
        paid_on=TODAY(),
        method="cash",
        idempotency_key="d",
    )
    with pytest.raises(ValidationError):
        services.declared_payment_reject(declared=declared, by=treasurer, reason="")
    services.declared_payment_reject(
        declared=declared, by=treasurer, reason="not received"
    )
    with pytest.raises(ValidationError):
        services.declared_payment_confirm(declared=declared, by=treasurer)
    assert not LedgerEntry.objects.exists()


def test_bracket_is_declared_from_the_schedule_in_force(schedule, member, treasurer):
    with pytest.raises(ValidationError):
        services.declaration_set(member=member, income_floor_cents=123)
    with pytest.raises(ValidationError):
        services.declaration_set(
            member=member, income_floor_cents=0, category="unemployed"
        )
    with pytest.raises(PermissionDenied):
        services.declaration_set(member=member, income_floor_cents=0, by=treasurer)
    declaration = services.declaration_set(
        member=member, income_floor_cents=0, category="student"
    )
    assert declaration.bracket.lower_cents == 0
    # The audit row does not tell the bracket.
    assert AuditEntry.objects.get(action="dues.declaration_set").data == {}


def test_balance_refresh_applies_payments_oldest_first(schedule, treasurer, member):
    backdate(member, 2)
    call_months(2)
    future = P.period_key(P.add_months(this_month(), 3), P.MONTHLY)
    pay(member, treasurer, "k", amount=700, periods=[future])  # prepaid, carried back
    balance = Balance.objects.get(member=member)
    assert balance.due_cents == 1500 and balance.paid_cents == 700
    assert balance.first_unpaid == P.add_months(this_month(), -1)


@pytest.mark.parametrize("day", [date(2024, 1, 1)])
def test_no_schedule_means_nothing_is_called(tree, member, day):
    assert services.charges_issue(on=day) == 0


# --- Corrections, exemption ends, former members' arrears (issue 17) ----------


def test_a_wrong_charge_is_taken_back_with_its_reason(
    schedule, treasurer, member, api_as
):
    from organising.dues.selectors import standing_for

    services.charges_issue()
    called = LedgerLine.objects.get(member=member, kind=Kind.CHARGE)
    response = api_as(treasurer).post(
        f"/api/v1/dues/members/{member.public_id}/corrections/",
        {"period": called.period.strftime("%Y-%m"), "reason": "left in May"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount_cents"] == -called.amount_cents
    assert response.json()["note"] == "left in May"
    assert standing_for(member).balance_cents == 0
    again = api_as(treasurer).post(
        f"/api/v1/dues/members/{member.public_id}/corrections/",
        {"period": called.period.strftime("%Y-%m"), "reason": "twice"},
        format="json",
    )
    assert again.status_code == 400 and "period" in again.json()
    assert LedgerEntry.objects.filter(kind=Kind.WAIVER).count() == 1


def test_only_treasurers_above_the_member_correct_charges(
    tree, schedule, member, make_member, cell_secretary, client_as
):
    from members.models import Role

    services.charges_issue()
    elsewhere = make_member(tree.cell_b1x, roles=[(tree.cell_b1x, Role.Kind.TREASURER)])
    url = reverse("dues:charge_correct", args=[member.public_id])
    data = {"period": this_month().strftime("%Y-%m"), "reason": "x"}
    assert client_as(elsewhere).post(url, data).status_code == 404
    assert client_as(cell_secretary).post(url, data).status_code == 404
    assert not LedgerEntry.objects.filter(kind=Kind.WAIVER).exists()


def test_the_treasurer_corrects_a_charge_from_the_members_page(
    schedule, treasurer, member, client_as
):
    services.charges_issue()
    client = client_as(treasurer)
    page = client.get(reverse("dues:member", args=[member.public_id]))
    assert reverse("dues:charge_correct", args=[member.public_id]) in (
        page.content.decode()
    )
    response = client.post(
        reverse("dues:charge_correct", args=[member.public_id]),
        {"period": this_month().strftime("%Y-%m"), "reason": "called by mistake"},
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=Kind.WAIVER).note == "called by mistake"


def test_an_exemption_is_ended_with_its_reason(
    schedule, treasurer, member, api_as, client_as
):
    exemption = services.exemption_grant(
        member=member, by=treasurer, starts_on=this_month(), reason="hardship"
    )
    page = client_as(treasurer).get(reverse("dues:member", args=[member.public_id]))
    assert reverse("dues:exemption_end", args=[exemption.pk]) in page.content.decode()
    refused = api_as(treasurer).post(
        f"/api/v1/dues/exemptions/{exemption.pk}/end/", {}, format="json"
    )
    assert refused.status_code == 400 and "reason" in refused.json()
    response = api_as(treasurer).post(
        f"/api/v1/dues/exemptions/{exemption.pk}/end/",
        {"reason": "found a job"},
        format="json",
    )
    assert response.status_code == 200, response.content
    exemption.refresh_from_db()
    assert exemption.ends_on is not None
    assert AuditEntry.objects.filter(
        action="dues.exemption_end", data__reason="found a job"
    ).exists()
    # Dues are called again from the next period.
    services.charges_issue(on=P.add_months(this_month(), 1))
    assert LedgerLine.objects.filter(
        member=member, kind=Kind.CHARGE, period=P.add_months(this_month(), 1)
    ).exists()


def test_former_members_arrears_are_recorded_by_their_last_units_treasurer(
    tree, schedule, treasurer, member, make_member, api_as
):
    from members.models import Role

    Membership.objects.filter(user=member).update(
        ended_on=timezone.localdate(), end_reason="left"
    )
    response = api_as(treasurer).post(
        "/api/v1/dues/payments/",
        {
            "member": str(member.public_id),
            "amount_cents": 1500,
            "paid_on": timezone.localdate().isoformat(),
            "method": "cheque",
            "cheque_number": "991",
            "idempotency_key": "arrears",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    elsewhere = make_member(tree.cell_b1x, roles=[(tree.cell_b1x, Role.Kind.TREASURER)])
    with pytest.raises(PermissionDenied):
        pay(member, elsewhere, "other", 100)


def test_the_last_units_treasurer_opens_a_former_members_page(
    schedule, treasurer, member, client_as
):
    Membership.objects.filter(user=member).update(
        ended_on=timezone.localdate(), end_reason="left"
    )
    client = client_as(treasurer)
    assert (
        client.get(reverse("dues:member", args=[member.public_id])).status_code == 200
    )
    response = client.post(
        reverse("dues:record", args=[member.public_id]),
        {
            "idempotency_key": "arrears-page",
            "amount": "15,00",
            "paid_on": timezone.localdate().isoformat(),
            "method": "cash",
        },
    )
    assert response.status_code in (200, 302)
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT, member=member).count() == 1
