"""Idempotency keys are the caller's own: a key replays only what that caller recorded
with the same request, never another unit's entry nor an entry the server keyed
itself (waivers, direct debits)."""

import pytest
from django.utils import timezone

from members.models import Role
from organising.dues import services
from organising.dues.models import Debit, Kind, LedgerEntry

from .conftest import IBAN, pay, this_month

API = "/api/v1/dues"
TODAY = timezone.localdate().isoformat()


def payment(member, **extra):
    return {
        "member": str(member.public_id),
        "amount_cents": 1500,
        "paid_on": TODAY,
        "method": "transfer",
        **extra,
    }


@pytest.fixture
def bordeaux(tree, make_member):
    """A treasurer of another section (B1) and one of her members."""
    treasurer = make_member(tree.cell_b1x, roles=[(tree.cell_b1x, Role.Kind.TREASURER)])
    return treasurer, make_member(tree.cell_b1x)


@pytest.fixture
def waiver(schedule, treasurer, member):
    """A hardship waiver in cell A1x (dues called, then the member exempted)."""
    services.charges_issue()
    exemption = services.exemption_grant(
        member=member, by=treasurer, starts_on=this_month(), reason="hardship note"
    )
    return LedgerEntry.objects.get(kind=Kind.WAIVER, member=member), exemption


def _posted_members(response):
    return response.json().get("member")


def test_waiver_key_does_not_replay_another_units_waiver(
    waiver, bordeaux, api_as, member
):
    entry, exemption = waiver
    treasurer, own = bordeaux
    response = api_as(treasurer).post(
        f"{API}/payments/",
        payment(own),
        format="json",
        headers={"Idempotency-Key": f"waiver:{exemption.pk}"},
    )
    assert response.status_code == 201, response.content
    body = response.content.decode()
    assert "hardship" not in body
    assert response.json()["id"] != entry.pk
    assert response.json()["amount_cents"] == 1500
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT, member=own).count() == 1


def test_sepa_key_does_not_replay_another_members_debit(
    tree, schedule, creditor, treasurer, member, bordeaux, api_as
):
    services.charges_issue()
    services.mandate_create(member=member, holder_name="Ana", iban=IBAN)
    batch = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=timezone.localdate() + timezone.timedelta(days=15),
        by=treasurer,
    )
    services.debits_collect(on=batch.collection_date)
    debit = Debit.objects.get(batch=batch)
    treasurer_b, own = bordeaux
    response = api_as(treasurer_b).post(
        f"{API}/payments/",
        payment(own),
        format="json",
        headers={
            "Idempotency-Key": debit.entry.idempotency_key,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["id"] != debit.entry.pk
    assert "MLG" not in response.content.decode()


def test_same_key_from_two_treasurers_records_twice(
    schedule, treasurer, member, bordeaux, api_as
):
    """Each treasurer has a key space: the same UUID from two clients is two
    requests."""
    treasurer_b, own = bordeaux
    first = api_as(treasurer).post(
        f"{API}/payments/",
        payment(member),
        format="json",
        headers={"Idempotency-Key": "k-1"},
    )
    second = api_as(treasurer_b).post(
        f"{API}/payments/",
        payment(own),
        format="json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["member"] != first.json()["member"]


def test_reverse_with_a_waiver_key_does_not_leak(waiver, bordeaux, api_as, member):
    entry, exemption = waiver
    treasurer_b, own = bordeaux
    mine = pay(own, treasurer_b, "own-payment").entry
    response = api_as(treasurer_b).post(
        f"{API}/payments/{mine.pk}/reverse/",
        {"reason": "typo"},
        format="json",
        headers={"Idempotency-Key": f"waiver:{exemption.pk}"},
    )
    assert response.status_code == 201, response.content
    assert "hardship" not in response.content.decode()
    assert response.json()["amount_cents"] == -mine.amount_cents


def test_reverse_key_reused_for_a_payment_is_a_conflict(
    schedule, treasurer, member, api_as
):
    """A key used to correct a payment does not answer a payment post with the
    correction (nor the other way round)."""
    client = api_as(treasurer)
    first = pay(member, treasurer, "p1").entry
    client.post(
        f"{API}/payments/{first.pk}/reverse/",
        {"reason": "typo", "idempotency_key": "r1"},
        format="json",
    )
    response = client.post(
        f"{API}/payments/",
        payment(member),
        format="json",
        headers={"Idempotency-Key": "r1"},
    )
    assert response.status_code == 409
    assert "typo" not in response.content.decode()


def test_replay_after_losing_the_office_is_not_answered(
    tree, schedule, treasurer, member, make_member
):
    """A replay is read like a fresh read: the entry comes back only while the
    caller may still keep that member's dues."""
    from django.core.exceptions import PermissionDenied

    from members.models import Role as R
    from members.models import User

    pay(member, treasurer, "once")
    R.objects.filter(user=treasurer).delete()
    with pytest.raises((PermissionDenied, services.IdempotencyConflict)):
        pay(member, User.objects.get(pk=treasurer.pk), "once")


def test_member_declared_keys_are_per_member(schedule, member, make_member, tree):
    other = make_member(tree.cell_a1x)
    fields = {
        "amount_cents": 1000,
        "paid_on": timezone.localdate(),
        "method": "transfer",
        "idempotency_key": "same",
    }
    mine, created_mine = services.declared_payment_create(member=member, **fields)
    theirs, created_theirs = services.declared_payment_create(member=other, **fields)
    assert created_mine and created_theirs
    assert mine.pk != theirs.pk and theirs.member_id == other.pk
