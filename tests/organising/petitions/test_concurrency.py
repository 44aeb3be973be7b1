"""Signatures arriving at once (PostgreSQL): the same address signing from several
requests makes one signature; many confirmations at once are all counted, and the
same link followed at once counts once."""

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from organising.petitions import services
from organising.petitions.models import Petition, Signature

from .conftest import LINK


def _at_once(work, count):
    barrier = threading.Barrier(count)
    errors = []

    def run(n):
        try:
            barrier.wait()
            work(n)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions: PostgreSQL (SQLite serialises writes)")


def _sign(petition, email):
    services.signature_request(
        petition=petition,
        first_name="Alice",
        last_name="Martin",
        email=email,
        postcode="69001",
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_address_signing_at_once_makes_one_signature(postgres_only, petition):
    errors = _at_once(lambda n: _sign(petition, "Alice@Example.org"), 8)
    assert not errors
    assert Signature.objects.filter(petition=petition).count() == 1
    # Links replaced before their e-mail left are not sent; of those sent, only
    # the newest is valid, and it counts once.
    tokens = [LINK.search(m.body).group(1) for m in mail.outbox]
    assert 1 <= len(tokens) <= 8
    valid = Signature.objects.get().token_hash
    assert [services.hash_token(t) for t in tokens].count(valid) == 1


@pytest.mark.django_db(transaction=True)
def test_confirmations_at_once_are_all_counted_and_a_link_once(postgres_only, petition):
    for n in range(10):
        _sign(petition, f"p{n}@example.org")
    tokens = [LINK.search(m.body).group(1) for m in mail.outbox]
    assert len(tokens) == 10
    # Each link followed twice at once: 20 confirmations, 10 signatures counted.
    errors = _at_once(lambda n: services.signature_confirm(token=tokens[n % 10]), 20)
    assert not errors
    assert Petition.objects.get(pk=petition.pk).signature_count == 10
    assert Signature.objects.filter(confirmed_at__isnull=False).count() == 10
