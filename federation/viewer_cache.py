"""Viewers kept between requests, under each member's context token.

`access.viewer_for` costs four queries (membership, home chain, offices, groups) and
every page asks for it. It is kept in the cache with the member's *context token*,
a random value replaced whenever what decides what the member may see changes: a
membership, an office, a group membership or the account (signals below; other
apps add theirs through `context_changed`, e.g. follows and blocks for timelines).

The token is replaced at once, for the transaction making the change, and again on
commit, so that a viewer built by another request from the data before the commit
is never read after it. A viewer built inside a transaction that changed that
member's context (or any unit) is not kept until it commits: one that is rolled back
must leave nothing behind. Random tokens, not counters: a token lost to eviction
cannot come back with an old value.
"""

import secrets
import threading

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from organising.cached import guarded

VIEWER_TTL = 3600


def token_key(user_id: int) -> str:
    return f"ctx:{user_id}"


def _viewer_key(user_id: int) -> str:
    return f"viewer:{user_id}"


UNITS_KEY = "ctx:units"  # replaced when any unit is saved: viewers hold their home


@guarded()
def _new_tokens(user_ids: list[int]) -> None:
    cache.set_many({token_key(pk): secrets.token_hex(6) for pk in user_ids}, None)


_uncommitted = threading.local()  # per thread, as database connections are


def _uncommitted_changes() -> set:
    """Members (and "units") whose context this thread's open transaction changed."""
    if not hasattr(_uncommitted, "keys"):
        _uncommitted.keys = set()
    return _uncommitted.keys


def _changed(keys: set, new_tokens) -> None:
    """Replace the tokens now and once committed; until then, viewers of `keys` built
    in this transaction are not kept."""
    new_tokens()
    if _in_transaction():
        _uncommitted_changes().update(keys)

    def committed():
        new_tokens()
        _uncommitted_changes().difference_update(keys)

    transaction.on_commit(committed, robust=True)


def context_changed(*user_ids: int) -> None:
    """What these members may see changed (now, and again once committed)."""
    ids = [pk for pk in user_ids if pk]
    if ids:
        _changed(set(ids), lambda: _new_tokens(ids))


@guarded(default=None)
def current_token(user_id: int, found: dict | None = None) -> str | None:
    """The member's token (made when missing); `found` may hold it already."""
    token = (found or {}).get(token_key(user_id))
    if token is None:
        cache.add(token_key(user_id), secrets.token_hex(6), None)
        token = cache.get(token_key(user_id))
    return token


@guarded(default=(None, None))
def load(user_id: int):
    """(version, the kept viewer if it is of this version, else None)."""
    found = cache.get_many([token_key(user_id), UNITS_KEY, _viewer_key(user_id)])
    version = (current_token(user_id, found), found.get(UNITS_KEY))
    kept = found.get(_viewer_key(user_id))
    return version, (kept[1] if kept is not None and kept[0] == version else None)


def _in_transaction() -> bool:
    return any(
        not getattr(block, "_from_testcase", False)
        for block in connection.atomic_blocks
    )


@guarded()
def keep(user_id: int, version, viewer) -> None:
    if version is None or version[0] is None:
        return
    uncommitted = _uncommitted_changes()
    if not _in_transaction():
        uncommitted.clear()  # what is left came from transactions rolled back
    elif uncommitted & {user_id, "units"}:
        return  # built from changes this transaction may still roll back
    cache.set(_viewer_key(user_id), (version, viewer), VIEWER_TTL)


@guarded()
def _new_units_token() -> None:
    cache.set(UNITS_KEY, secrets.token_hex(6), None)


def _unit_saved(sender, instance, created=False, **kwargs):
    if not created:
        _changed({"units"}, _new_units_token)


def _member_changed(sender, instance, **kwargs):
    context_changed(instance.user_id)


def _account_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or "is_superuser" in update_fields:
        context_changed(instance.pk)


def connect() -> None:
    from members.models import Membership, Role, User

    from .models import GroupMembership, Unit

    for model in (Membership, Role, GroupMembership):
        post_save.connect(_member_changed, sender=model)
        post_delete.connect(_member_changed, sender=model)
    post_save.connect(_account_saved, sender=User)
    post_save.connect(_unit_saved, sender=Unit)
