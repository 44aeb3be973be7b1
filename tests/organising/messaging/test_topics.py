"""Topics watched over the one socket (`organising.topics`): who may watch, events
reach the watchers only, a change of rights drops what may no longer be watched, and
messages from the browser reach the topic only while it is watched."""

import pytest
from asgiref.sync import sync_to_async

from organising import live, topics

from .test_live import connected, resynced

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def cell_topic(tree):
    """A topic for a unit's object: only current members of that cell may watch."""
    received = []

    def groups(user, ref):
        from members.models import Membership

        if not Membership.objects.filter(
            user_id=user.pk, unit_id=ref, ended_on__isnull=True
        ).exists():
            return None
        return [f"test.cell.{ref}"]

    async def receive(consumer, ref, content):
        received.append((consumer.user.pk, ref, content.get("text")))
        await consumer.send_json({"type": "topic.event", "topic": "cell", "id": ref})

    topics.register(topics.Topic("cell", groups, receive, max_message=20_000))
    yield received
    topics.TOPICS.pop("cell")


async def watch(socket, topic, ref):
    await socket.send_json_to({"type": "watch", "topic": topic, "id": ref})
    return await socket.receive_json_from(timeout=2)


async def test_a_member_watches_and_gets_the_topics_events(tree, people, cell_topic):
    bob = await connected(people.bob)
    assert await watch(bob, "cell", tree.cell_a1x.pk) == {
        "type": "watching",
        "topic": "cell",
        "id": tree.cell_a1x.pk,
    }
    await sync_to_async(live.announce)(
        f"test.cell.{tree.cell_a1x.pk}",
        topics.event("cell", tree.cell_a1x.pk, {"turnout": 3}),
    )
    event = await bob.receive_json_from(timeout=2)
    assert event == {
        "type": "topic.event",
        "topic": "cell",
        "id": tree.cell_a1x.pk,
        "turnout": 3,
    }
    await bob.disconnect()


async def test_an_outsider_may_not_watch(tree, people, cell_topic):
    carol = await connected(people.carol)  # another cell
    reply = await watch(carol, "cell", tree.cell_a1x.pk)
    assert reply == {
        "type": "error",
        "error": "not found",
        "topic": "cell",
        "id": tree.cell_a1x.pk,
    }
    assert (await watch(carol, "nothing", 1))["error"] == "bad watch"
    assert (await watch(carol, "cell", "1"))["error"] == "bad watch"
    await carol.disconnect()


async def test_a_transfer_drops_the_watch_at_once(tree, people, cell_topic):
    from members.services import membership_transfer

    bob = await connected(people.bob)
    await watch(bob, "cell", tree.cell_a1x.pk)
    await sync_to_async(membership_transfer)(
        member=people.bob, to_cell=tree.cell_a1y, by=people.fed_secretary
    )
    lost = await bob.receive_json_from(timeout=2)
    assert lost == {
        "type": "error",
        "error": "not found",
        "topic": "cell",
        "id": tree.cell_a1x.pk,
    }
    await resynced(bob)
    await sync_to_async(live.announce)(
        f"test.cell.{tree.cell_a1x.pk}",
        topics.event("cell", tree.cell_a1x.pk, {"turnout": 4}),
    )
    assert await bob.receive_nothing(timeout=0.3)
    await bob.disconnect()


async def test_messages_reach_the_topic_only_while_watched(tree, people, cell_topic):
    bob = await connected(people.bob)
    message = {"type": "topic.send", "topic": "cell", "id": tree.cell_a1x.pk}
    await bob.send_json_to({**message, "text": "too early"})
    assert (await bob.receive_json_from(timeout=2))["error"] == "not found"
    await watch(bob, "cell", tree.cell_a1x.pk)
    await bob.send_json_to({**message, "text": "x" * 10_000})  # within its limit
    assert (await bob.receive_json_from(timeout=2))["type"] == "topic.event"
    await bob.send_json_to({**message, "text": "x" * 30_000})  # over it
    assert (await bob.receive_json_from(timeout=2))["error"] == "bad message"
    await bob.send_json_to({"type": "ping", "pad": "x" * 10_000})  # others: 4 KB
    assert (await bob.receive_json_from(timeout=2))["error"] == "bad message"
    assert cell_topic == [(people.bob.pk, tree.cell_a1x.pk, "x" * 10_000)]
    await bob.disconnect()
