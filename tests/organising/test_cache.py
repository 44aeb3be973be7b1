"""The shared cache under ASGI: every WebSocket runs in its own asyncio context, and
Django keeps a cache object per context. Those objects must share the process's
connections to Redis: a thousand sockets once made a thousand connections (Redis
refuses clients past 10,000 by default) and 55 KB of memory each."""

import asyncio
import contextvars

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs Redis (set REDIS_URL): the embedded default caches in memory",
    ),
]


def redis_clients() -> int:
    return len(redis.Redis.from_url(settings.REDIS_URL).client_list())


async def test_sockets_share_the_process_connections_to_redis():
    before = await sync_to_async(redis_clients)()
    used, release = 0, asyncio.Event()

    async def socket_like(n: int):
        nonlocal used
        await sync_to_async(cache.set)(f"test:context:{n}", n)
        assert await sync_to_async(cache.get)(f"test:context:{n}") == n
        used += 1
        await release.wait()  # the socket stays open, its context alive

    # As a server starts each connection: in a context of its own.
    sockets = [
        asyncio.create_task(socket_like(n), context=contextvars.Context())
        for n in range(30)
    ]
    while used < len(sockets):
        await asyncio.sleep(0.01)
    during = await sync_to_async(redis_clients)()
    release.set()
    await asyncio.gather(*sockets)

    assert during - before <= 2
