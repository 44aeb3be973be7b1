"""Live announcements of messaging events through the channel layer.

The database is the source of truth: these only tell open sockets that something
changed. Services hand them to `dispatch()` from `transaction.on_commit`; they never
raise (Redis down pauses live delivery only) and send one batch per change. Sockets
check each post event against their user's audience before passing it on.

With Redis, `dispatch()` runs them on one background thread per process, with its own
event loop and Redis connection: the author's request does not wait for rendering
the card nor for Redis (a post to 100,000 members costs the author what a post to a
cell costs). Inside a request they start once the response is sent: rendering
on that thread while the response is built would slow the author (one interpreter
lock per process). With the in-memory layer (development, tests) they run inline, in the
caller's event loop, which that layer needs.
"""

import asyncio
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections, transaction
from django.template.loader import render_to_string

from federation.models import Audience
from organising.live import user_group

from . import pagecache
from .models import Message, Participant, Post
from .selectors import post_for_broadcast, unread_counts

logger = logging.getLogger(__name__)


def unit_group(unit_id: int) -> str:
    return f"posts.unit.{unit_id}"


def group_group(group_id: int) -> str:
    return f"posts.group.{group_id}"


def author_group(author_id: int) -> str:
    return f"posts.author.{author_id}"


def tag_group(hashtag_id: int) -> str:
    return f"posts.tag.{hashtag_id}"


def thread_group(root_id: int) -> str:
    return f"posts.thread.{root_id}"


PUBLIC_GROUP = "posts.public"


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
    request_started.connect(_request_started)
    request_finished.connect(_request_finished)


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


def post_groups(post) -> list[str]:
    """The groups whose sockets show a timeline or thread the post belongs to."""
    if post.parent_id is not None:
        return [thread_group(post.root_id)]
    groups = [author_group(post.author_id)]
    if post.kind != Post.Kind.BOOST:
        if post.unit_id:
            groups.append(unit_group(post.unit_id))
        if post.audience_group_id:
            groups.append(group_group(post.audience_group_id))
        if post.audience == Audience.PUBLIC:
            groups.append(PUBLIC_GROUP)
        groups.extend(tag_group(tag_id) for tag_id in post.tag_ids)
    return groups


def post_event(post, action: str, html: str = "") -> dict:
    """The channel-layer event: what sockets check (audience) and the frame they
    send when the check passes (encoded here once, not once per socket)."""
    frame = json.dumps(
        {
            "type": f"post.{action}",
            "id": post.pk,
            "parent_id": post.parent_id,
            "html": html,
        }
    )
    return {
        "frame": frame,
        "type": "post.event",
        "action": action,
        "id": post.pk,
        "root_id": post.root_id,
        "parent_id": post.parent_id,
        "author_id": post.author_id,
        "audience": post.audience,
        "audience_unit_id": post.audience_unit_id,
        "audience_unit_path": post.audience_unit.path if post.audience_unit_id else "",
        "audience_group_id": post.audience_group_id,
    }


def announce_post(post_id: int, action: str = "new") -> bool:
    """A new or edited post (or reply): its card goes to the sockets showing it."""
    post = post_for_broadcast(post_id)
    if post is None:
        return False
    template = "messaging/_reply.html" if post.parent_id else "messaging/_post.html"
    html = render_to_string(template, {"post": post, "live": True})
    return announce_many(post_groups(post), post_event(post, action, html))


def announce_post_removed(post_id: int) -> bool:
    """A deleted or hidden post disappears from every socket showing it."""
    post = Post.objects.select_related("audience_unit").filter(pk=post_id).first()
    if post is None:
        return False
    post.tag_ids = list(post.hashtags.values_list("pk", flat=True))
    groups = post_groups(post) + [thread_group(post.root_id or post.pk)]
    return announce_many(groups, post_event(post, "remove"))


def announce_to_users(user_ids, event: dict) -> bool:
    return announce_many([user_group(user_id) for user_id in user_ids], event)


def announce_message(message_id: int) -> bool:
    """A new private message goes to every current participant's sockets."""
    message = (
        Message.objects.select_related("author", "conversation")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return False
    html = render_to_string(
        "messaging/_message.html", {"message": message, "live": True}
    )
    recipients = list(
        Participant.objects.filter(
            conversation_id=message.conversation_id, left_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    return announce_to_users(
        recipients,
        {
            "type": "conv.message",
            "conversation": message.conversation_id,
            "id": message.pk,
            "author_id": message.author_id,
            "html": html,
        },
    )


def counts_changed(*user_ids: int) -> None:
    """Once committed, these members' unread counts are read again and their badges
    updated live."""

    def announce():
        for user_id in user_ids:
            pagecache.counts_changed(user_id)
            dispatch(announce_counts, user_id)

    transaction.on_commit(announce, robust=True)


def announce_counts(user_id: int) -> bool:
    """The user's unread notification and message counts, for the nav badges."""
    counts = unread_counts(user_id)
    return announce_to_users([user_id], {"type": "counts", **counts})
