"""The capacity holds when answers arrive at once (PostgreSQL: the event's row lock
orders them)."""

import threading

import pytest
from django.db import connection, connections

from organising.agenda import services
from organising.agenda.models import Rsvp


@pytest.mark.django_db(transaction=True)
def test_simultaneous_going_answers_do_not_overfill(tree, make_member, make_event):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writes anyway)")
    event = make_event(capacity=3)
    people = [make_member(tree.cell_a1x) for _ in range(8)]
    barrier = threading.Barrier(len(people))
    errors = []

    def answer(person):
        try:
            barrier.wait()
            services.rsvp_answer(event=event, user=person, answer="going")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Rsvp.objects.filter(event=event, waiting=False).count() == 3
    assert Rsvp.objects.filter(event=event, waiting=True).count() == 5
