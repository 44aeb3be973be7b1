"""The socket as a read path: after Redis stalled during the writes, a tab that
reconnects is told what was removed, and a former secretary's socket catches up on
nothing of the cell's cell-only posts. PostgreSQL + Redis pass only."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from members.services import membership_end
from organising.messaging import services
from tests.organising.messaging.test_live import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
async def close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def events_until_caught_up(socket) -> list[dict]:
    events = []
    while True:
        event = await socket.receive_json_from(timeout=5)
        if event["type"] == "caught_up":
            return events
        events.append(event)


async def test_after_a_stall_a_socket_answers_as_the_database_says(
    own_redis, tree, people, world
):
    bob = await connected(people.bob)
    await bob.disconnect()
    own_redis.pause()
    try:
        await sync_to_async(services.post_delete)(post=world.doomed, by=people.alice)
        await sync_to_async(membership_end)(
            member=world.cell_secretary, by=world.section_secretary
        )
    finally:
        own_redis.resume()
    shown = [world.kept.pk, world.doomed.pk]
    bob = await connected(people.bob, since=world.kept.pk, shown=shown)
    removed = {
        event["id"]
        for event in await events_until_caught_up(bob)
        if event["type"] == "post.remove"
    }
    assert removed == {world.doomed.pk}
    await bob.disconnect()

    former = await connected(
        world.cell_secretary, "unit", tree.cell_a1x.pk, since=1, shown=[]
    )
    caught_up = await events_until_caught_up(former)
    assert not any("Réservé à la cellule" in e.get("html", "") for e in caught_up)
    await former.disconnect()
