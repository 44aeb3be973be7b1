"""The live socket's message loop (`consumers.dispatch_from`): messages from the
browser and from the channel layer are handled one at a time, in arrival order, until
a handler stops the consumer."""

import asyncio

import pytest
from channels.exceptions import StopConsumer

from organising.messaging.consumers import dispatch_from

pytestmark = pytest.mark.asyncio


async def test_messages_are_handled_one_at_a_time_until_the_consumer_stops():
    browser, layer = asyncio.Queue(), asyncio.Queue()
    handled, running = [], set()

    async def handle(message):
        assert not running, f"{message} handled while {running} was"
        running.add(message)
        await asyncio.sleep(0.01)  # a handler that waits (the database, a send)
        running.discard(message)
        handled.append(message)
        if message == "disconnect":
            raise StopConsumer

    loop = asyncio.create_task(dispatch_from(handle, browser.get, layer.get))
    await browser.put("connect")
    await layer.put("post 1")
    await layer.put("post 2")
    await asyncio.sleep(0.1)
    await browser.put("disconnect")
    await asyncio.wait_for(loop, 1)

    assert handled == ["connect", "post 1", "post 2", "disconnect"]
    await layer.put("late")
    await asyncio.sleep(0.02)
    assert layer.qsize() == 1, "the channel layer is no longer read"


async def test_a_handler_error_ends_the_loop_and_reaches_the_server():
    browser, layer = asyncio.Queue(), asyncio.Queue()

    async def handle(message):
        raise RuntimeError(f"broken on {message}")

    await layer.put("post")
    with pytest.raises(RuntimeError, match="broken on post"):
        await asyncio.wait_for(dispatch_from(handle, browser.get, layer.get), 1)
