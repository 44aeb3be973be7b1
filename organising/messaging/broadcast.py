"""Live announcements of messaging events through the channel layer.

The database is the source of truth: these only tell open sockets that something
changed. They subscribe to the services' change events (`events`) and
run through `dispatch()` (`organising.live`: in the background, after the response)
once the transaction commits; they never raise (Redis down
pauses live delivery only) and send one batch per change. Sockets check each post
event against their user's audience before passing it on.
"""

import json
import logging

from django.db import transaction
from django.template.loader import render_to_string

from federation import viewer_cache
from organising import live
from organising.live import (  # noqa: F401 - shutdown: used through here
    announce_many,
    dispatch,
    on_commit,
    shutdown,
    user_group,
)

from . import events
from .models import Message, Participant, Post
from .selectors import post_for_broadcast, unread_counts
from .streams import post_groups, thread_group

logger = logging.getLogger(__name__)


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
        # An officers' reply reaches the (non-officer) member who started the thread.
        "root_author_id": _root_author_id(post),
    }


def _root_author_id(post) -> int | None:
    if post.root_id is None or post.root_id == post.pk:
        return post.author_id
    root = post.root if Post.root.is_cached(post) else None
    if root is None:
        root = Post.objects.filter(pk=post.root_id).only("author_id").first()
    return root.author_id if root is not None else None


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
    """These members' unread counts changed: a new counts version now (in the
    transaction: cached counts are not read again), their badges updated live once
    committed."""
    viewer_cache.bump(viewer_cache.COUNTS, user_ids)

    def announce():
        for user_id in user_ids:
            dispatch(announce_counts, user_id)

    transaction.on_commit(announce, robust=True)


def announce_counts(user_id: int) -> bool:
    """The user's unread notification and message counts, for the nav badges."""
    counts = unread_counts(user_id)
    return announce_to_users([user_id], {"type": "counts", **counts})


# --- Subscribed to the services' change events ------------------------------------


def _post_changed(post, action) -> None:
    if action == "remove":
        on_commit(announce_post_removed, post.pk)
    elif action:
        on_commit(announce_post, post.pk, action)


def _message_sent(message_id: int) -> None:
    on_commit(announce_message, message_id)


def _relation_changed(owner_id: int, target_id: int) -> None:
    on_commit(announce_to_users, [owner_id, target_id], {"type": "relations.changed"})


def _counts_changed(user_ids) -> None:
    counts_changed(*user_ids)


def connect() -> None:
    live.connect()
    events.subscribe("post", _post_changed)
    events.subscribe("message", _message_sent)
    events.subscribe("relation", _relation_changed)
    events.subscribe("counts", _counts_changed)
