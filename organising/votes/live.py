"""The "vote" topic (organising/topics.py): a vote's page hears that its turnout
(and, where allowed, its results) moved, and fetches the figures again. The event
carries no figures and nothing about who voted: the page asks the server, which
checks the rights (the database stays the truth).

At 500 ballots a second the page would hear 500 events a second: one process
announces a vote at most once per THROTTLE_SECONDS (the page also refreshes its
figures every 30 seconds, so the last ballots of a burst are shown too)."""

import time

from organising import topics

THROTTLE_SECONDS = 1.0
_last: dict[int, float] = {}


def group_name(vote_id: int) -> str:
    return f"vote.{vote_id}"


def _groups(user, vote_id: int) -> list[str] | None:
    from federation import access

    from .models import Vote

    vote = (
        Vote.objects.filter(pk=vote_id)
        .select_related("audience_unit", "audience_group", "unit")
        .first()
    )
    if vote is None or not access.can(user, "vote.view", vote):
        return None
    return [group_name(vote_id)]


def register() -> None:
    topics.register(topics.Topic("vote", groups=_groups))


def changed(vote, *, force: bool = False) -> None:
    """Announce (after commit) that the vote's figures or status changed."""
    now = time.monotonic()
    if not force and now - _last.get(vote.pk, 0) < THROTTLE_SECONDS:
        return
    _last[vote.pk] = now
    topics.announce(group_name(vote.pk), "vote", vote.pk, {"status": vote.status})
