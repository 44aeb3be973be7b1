"""Announcements to open WebSockets through the channel layer.

The database is the source of truth; the channel layer only announces. A failure here
(Redis down) must never break the write that triggered it, so it is logged and dropped:
clients catch up from the database when they reconnect (and a socket that saw its
channel layer fail asks its tab to reload, `consumers.LiveConsumer`).

With Redis, `dispatch()` runs announcements on one background thread per process,
with its own event loop and Redis connection: the author's request does not wait for
rendering a card nor for Redis (a post to 100,000 members costs the author what a
post to a cell costs). Inside a request they start once the response is sent:
rendering on that thread while the response is built would slow the author (one
interpreter lock per process). With the in-memory layer (development, tests) they run
inline, in the caller's event loop, which that layer needs.
"""

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections, transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


_background: tuple[int, ThreadPoolExecutor] | None = None
_background_lock = threading.Lock()
_announcer = threading.local()
_request = threading.local()  # .waiting: announcements held until the response is sent


def _executor() -> ThreadPoolExecutor:
    """The process's announcer thread (made again after a fork: gunicorn workers)."""
    global _background
    with _background_lock:
        if _background is None or _background[0] != os.getpid():
            _background = (
                os.getpid(),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-announcer"),
            )
        return _background[1]


def _in_background(function, *args) -> None:
    _announcer.active = True
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - never let an announcement kill the thread
        logger.warning("Live announcement failed", exc_info=True)
    finally:
        close_old_connections()


def shutdown() -> None:
    """Wait for pending announcements, then close the announcer's database
    connection and stop its thread (end of tests, process exit)."""
    global _background
    with _background_lock:
        background, _background = _background, None
    if background is not None and background[0] == os.getpid():
        background[1].submit(connections.close_all).result()
        background[1].shutdown(wait=True)


def on_commit(function, *args) -> None:
    """Announce once the current transaction commits; a failure there never breaks
    the write that triggered it (robust)."""
    transaction.on_commit(lambda: dispatch(function, *args), robust=True)


def dispatch(function, *args) -> None:
    """Run an announcement: in the background with Redis (after the response, in a
    request), inline otherwise."""
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        function(*args)
        return
    waiting = getattr(_request, "waiting", None)
    if waiting is not None:
        waiting.append((function, args))
    else:
        _executor().submit(_in_background, function, *args)


def _request_started(**kwargs) -> None:
    _request.waiting = []


def _request_finished(**kwargs) -> None:
    waiting, _request.waiting = getattr(_request, "waiting", None), None
    for function, args in waiting or ():
        _executor().submit(_in_background, function, *args)


def connect() -> None:
    request_started.connect(_request_started, dispatch_uid="organising.live.start")
    request_finished.connect(_request_finished, dispatch_uid="organising.live.end")


def announce_many(groups: list[str], event: dict) -> bool:
    """Send one event to several groups in one round trip; False if it failed."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return False

    async def send_all():
        await asyncio.gather(*(layer.group_send(group, event) for group in groups))

    try:
        if getattr(_announcer, "active", False):
            # The announcer thread keeps one loop, hence one Redis connection.
            loop = getattr(_announcer, "loop", None)
            if loop is None:
                loop = _announcer.loop = asyncio.new_event_loop()
            loop.run_until_complete(send_all())
        else:
            async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 - a transport error pauses live delivery only
        logger.warning(
            "Live announcement to %d groups failed", len(groups), exc_info=True
        )
        return False
    return True


def announce(group: str, event: dict) -> bool:
    """Send `event` to a channel-layer group; False (and a log line) if it failed."""
    return announce_many([group], event)


def announce_later(group: str, event: dict) -> None:
    """`announce`, through `dispatch` (not in the caller's thread with Redis)."""
    dispatch(announce, group, event)


def close_user_sockets(user_id: int) -> bool:
    """Tell every open socket of the user to close (logout, revoked access)."""
    return announce(user_group(user_id), {"type": "auth.revoked"})
