"""Agenda pages live over the tab's socket: an event's page and the agendas of its
audience hear of answers, changes and cancellations once they commit; those who
may not see the event hear nothing (the per-event audience check)."""

import pytest
from asgiref.sync import sync_to_async

from members.models import Role
from organising.agenda import services
from tests.organising.messaging.conftest import stop_the_announcer  # noqa: F401
from tests.organising.messaging.test_live import (  # noqa: F401
    close_worker_connections,
    connected,
)

from .conftest import paris

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def world(tree, make_member, cell_secretary):
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    alice = make_member(tree.cell_a1x, display_name="Alice Martin")
    carol = make_member(tree.cell_a1y, display_name="Carol Petit")  # sibling cell
    officer = make_member(
        tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)], display_name="Oz"
    )

    def event(**fields):
        fields.setdefault("starts_at", paris(2026, 12, 10, 19))
        fields.setdefault("ends_at", paris(2026, 12, 10, 21))
        return services.event_create(by=cell_secretary, agenda=tree.cell_a1x, **fields)

    return {
        "bob": bob,
        "alice": alice,
        "carol": carol,
        "officer": officer,
        "meeting": event(title="Réunion", audience="unit", rrule="FREQ=WEEKLY;COUNT=4"),
        "bureau": event(title="Bureau", audience="officers"),
        "secretary": cell_secretary,
    }


async def watch(socket, topic, ref):
    await socket.send_json_to({"type": "watch", "topic": topic, "id": ref})
    return await socket.receive_json_from(timeout=2)


async def test_the_event_page_hears_answers_and_changes(world):
    meeting = world["meeting"]
    bob = await connected(world["bob"])
    assert (await watch(bob, "event", meeting.pk))["type"] == "watching"
    await sync_to_async(services.rsvp_answer)(
        event=meeting, user=world["alice"], answer="going"
    )
    heard = await bob.receive_json_from(timeout=2)
    assert heard == {
        "type": "topic.event",
        "topic": "event",
        "id": meeting.pk,
        "event": str(meeting.public_id),
        "what": "answers",
    }
    await sync_to_async(services.event_set_status)(
        event=meeting, by=world["secretary"], status="cancelled"
    )
    heard = await bob.receive_json_from(timeout=2)
    assert (heard["what"], heard["event"]) == ("event", str(meeting.public_id))
    await bob.disconnect()


async def test_the_agenda_of_its_unit_hears_a_change(world, tree):
    meeting = world["meeting"]
    bob = await connected(world["bob"])
    assert (await watch(bob, "agenda", tree.cell_a1x.pk))["type"] == "watching"
    await sync_to_async(services.event_edit)(
        event=meeting, by=world["secretary"], title="Réunion déplacée"
    )
    heard = await bob.receive_json_from(timeout=2)
    assert heard["topic"] == "agenda" and heard["event"] == str(meeting.public_id)
    await sync_to_async(services.occurrence_cancel)(
        event=meeting, by=world["secretary"], original_start=paris(2026, 12, 17, 19)
    )
    assert (await bob.receive_json_from(timeout=2))["what"] == "event"
    await bob.disconnect()


async def test_those_outside_the_audience_hear_nothing(world, tree):
    bob = await connected(world["bob"])  # a member, not an officer
    carol = await connected(world["carol"])  # the sibling cell
    officer = await connected(world["officer"])
    for socket in (bob, carol, officer):
        assert (await watch(socket, "agenda", tree.cell_a1x.pk))["type"] == "watching"
    assert (await watch(carol, "event", world["meeting"].pk))["error"] == "not found"
    assert (await watch(bob, "event", world["bureau"].pk))["error"] == "not found"
    await sync_to_async(services.event_edit)(
        event=world["bureau"], by=world["secretary"], place="Local"
    )
    assert (await officer.receive_json_from(timeout=2))["event"] == str(
        world["bureau"].public_id
    )
    assert await bob.receive_nothing(timeout=0.5)
    await sync_to_async(services.event_edit)(
        event=world["meeting"], by=world["secretary"], place="Salle B"
    )
    assert (await bob.receive_json_from(timeout=2))["what"] == "event"
    assert await carol.receive_nothing(timeout=0.5)
    for socket in (bob, carol, officer):
        await socket.disconnect()
