"""What messaging's services changed: one call per write, from inside the service's
transaction.

Two subscribers listen (registered at start-up, `apps.MessagingConfig.ready`): the
page store (`pagecache`), which replaces its stamps in the same transaction, and the
live announcer (`broadcast`), which announces once the transaction commits, reading
the post once. Services import only this module: neither the page store nor the
announcer imports the services, and neither imports the other.
"""

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str, function: Callable) -> None:
    """Call `function(**data)` at every `event` ("post", "reaction", "counts",
    "message", "relation")."""
    if function not in _subscribers[event]:
        _subscribers[event].append(function)


def _publish(event: str, **data) -> None:
    for function in _subscribers[event]:
        function(**data)


def post_changed(post, action: str | None) -> None:
    """A post was published, edited or removed ("new", "update", "remove"), or
    something its card shows changed (None: a reply count, a boost)."""
    _publish("post", post=post, action=action)


def reaction_changed(post, user_id: int) -> None:
    _publish("reaction", post=post, user_id=user_id)


def counts_changed(*user_ids: int) -> None:
    """These members' unread notifications or messages changed."""
    _publish("counts", user_ids=user_ids)


def message_sent(message_id: int) -> None:
    _publish("message", message_id=message_id)


def relation_changed(owner_id: int, target_id: int) -> None:
    """A follow, mute or block between these two members was set or taken back."""
    _publish("relation", owner_id=owner_id, target_id=target_id)
