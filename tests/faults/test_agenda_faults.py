"""The agenda's kept months, cards and feeds while Redis misbehaves: paused, restarted
from a snapshot taken before the changes, half evicted. Every page answers what
PostgreSQL holds (caches can only miss)."""

import time

import pytest
from django.urls import reverse

from organising.agenda import services
from tests.organising.agenda.conftest import make_event, paris  # noqa: F401

pytestmark = pytest.mark.django_db

DECEMBER = "?view=month&day=2026-12-01"


@pytest.fixture
def agenda_world(tree, member, client_as, make_event, cell_secretary):  # noqa: F811
    weekly = make_event(title="Réunion hebdo", rrule="FREQ=WEEKLY;COUNT=4")
    single = make_event(
        title="Journée porte ouverte",
        starts_at=paris(2026, 12, 12, 10),
        ends_at=paris(2026, 12, 12, 18),
    )
    client = client_as(member)
    token = services.feed_token_regenerate(user=member)
    return weekly, single, client, reverse("agenda:private_feed", args=[token])


def pages(client, feed_url) -> dict[str, str]:
    found = {
        "month": client.get(reverse("agenda:mine") + DECEMBER),
        "list": client.get(reverse("agenda:mine") + "?view=list&day=2026-12-01"),
        "feed": client.get(feed_url),
    }
    for name, response in found.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in found.items()}


def change(weekly, single, cell_secretary):
    services.event_edit(event=weekly, by=cell_secretary, title="Réunion déplacée")
    services.occurrence_cancel(
        event=weekly, by=cell_secretary, original_start=paris(2026, 12, 17, 19)
    )
    services.event_set_status(event=single, by=cell_secretary, status="cancelled")


def assert_changed(found: dict[str, str]):
    for name, text in found.items():
        assert "Réunion hebdo" not in text, name
        assert "Réunion déplacée" in text, name
    assert found["month"].count(">Réunion déplacée</a>") == 3
    assert "20261217T180000Z" not in found["month"]  # the cancelled meeting
    assert "status-cancelled" in found["month"]
    assert "STATUS:CANCELLED" in found["feed"]


def test_paused_redis_is_a_miss(own_redis, agenda_world, cell_secretary):
    weekly, single, client, feed_url = agenda_world
    pages(client, feed_url)  # kept
    assert own_redis.keys() > 0
    change(weekly, single, cell_secretary)
    own_redis.pause()
    try:
        started = time.monotonic()
        assert_changed(pages(client, feed_url))
        assert time.monotonic() - started < 10  # one short timeout a request
    finally:
        own_redis.resume()
    assert_changed(pages(client, feed_url))


def test_restart_from_an_old_snapshot_is_a_miss(
    own_redis, agenda_world, cell_secretary
):
    weekly, single, client, feed_url = agenda_world
    before = pages(client, feed_url)
    assert "Réunion hebdo" in before["month"]
    snapshot = own_redis.snapshot()  # holds the months, cards, feed of before
    change(weekly, single, cell_secretary)
    assert_changed(pages(client, feed_url))
    own_redis.restart_from(snapshot)
    assert own_redis.keys() > 0
    assert_changed(pages(client, feed_url))


def test_evicted_keys_are_misses(own_redis, agenda_world, cell_secretary):
    weekly, single, client, feed_url = agenda_world
    pages(client, feed_url)
    change(weekly, single, cell_secretary)
    pages(client, feed_url)  # the new versions kept
    assert own_redis.evict() > 0
    assert_changed(pages(client, feed_url))
    assert own_redis.evict(share=1) > 0  # all of it
    assert_changed(pages(client, feed_url))
