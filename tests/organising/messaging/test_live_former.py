"""A former member's socket: signed in again after their membership ended, they
hear nothing more of their old conversations."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from members.services import membership_end
from organising.messaging import services

from .test_live import nothing_arrives, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
async def close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def test_a_former_member_hears_no_more_of_their_group_conversation(people):
    conversation = await sync_to_async(services.conversation_start)(
        by=people.alice, people=[people.bob, people.carol], body="hello all"
    )
    await sync_to_async(membership_end)(member=people.bob, by=people.fed_secretary)
    bob = await sync_to_async(type(people.bob).objects.get)(pk=people.bob.pk)
    socket = await open_socket(bob)
    ok, _code = await socket.connect()
    assert ok
    assert (await socket.receive_json_from())["type"] == "hello"
    await socket.send_json_to(
        {"type": "subscribe", "stream": "conversation", "id": conversation.pk}
    )
    assert (await socket.receive_json_from())["error"] == "not found"
    await sync_to_async(services.message_send)(
        conversation=conversation, by=people.alice, body="after you left"
    )
    received = []
    while not await nothing_arrives(socket):
        received.append(await socket.receive_json_from())
    assert all(event["type"] != "message.new" for event in received)
    await socket.disconnect()
