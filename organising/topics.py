"""Topics a page watches over the tab's one socket, beside its stream of posts: a
vote's turnout, an event's answers, a document's editors, a petition's count.

Each capability registers its topic once (`register`, from its AppConfig.ready). The
socket (`organising.messaging.consumers.LiveConsumer`) asks the topic which
channel-layer groups a member may join for one object ({"type": "watch", "topic":
"vote", "id": 12}); None means the member may not watch it and the tab gets
{"type": "error", "error": "not found", "topic": ..., "id": ...}. Whenever the
member's rights change (membership, office, status...) the socket asks again and
drops what may no longer be watched. Events are announced with `announce` and reach
the tab as {"type": "topic.event", "topic": ..., "id": ..., **payload}.

A topic may take messages from the browser ({"type": "topic.send", "topic": ...,
"id": ..., ...}), for example a document's editing updates: `receive` is called with
the socket, the object's id and the message, only while the socket watches it.

The database stays the truth: a topic's event only tells the page that something
changed (or carries what changed); after a lost connection the page asks the
server again (the socket sends {"type": "resync"} after rights change or an outage).
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from organising import live

WATCH_LIMIT = 16  # objects one socket may watch at once


@dataclass(frozen=True)
class Topic:
    name: str
    # (user, object id) -> the channel-layer groups to join, or None: may not watch.
    # Runs in a database thread (synchronous code).
    groups: Callable[[object, int], list[str] | None]
    # async (consumer, object id, message) -> None: messages from the browser.
    receive: Callable[[object, int, dict], Awaitable[None]] | None = None
    # The largest message from the browser this topic accepts, in characters.
    max_message: int = 4096


TOPICS: dict[str, Topic] = {}


def register(topic: Topic) -> None:
    TOPICS[topic.name] = topic


def largest_message() -> int:
    return max([4096, *(topic.max_message for topic in TOPICS.values())])


def frame(topic: str, ref: int, payload: dict) -> str:
    return json.dumps({**payload, "type": "topic.event", "topic": topic, "id": ref})


def event(topic: str, ref: int, payload: dict) -> dict:
    """The channel-layer message for the watchers of one object (encoded once)."""
    return {"type": "topic.event", "frame": frame(topic, ref, payload)}


def announce(group: str, topic: str, ref: int, payload: dict) -> None:
    """Tell the watchers in `group` once the current transaction commits (never
    breaks the write; lost if the channel layer is down: pages resync)."""
    live.on_commit(live.announce, group, event(topic, ref, payload))
