"""Viewers kept between requests, under each member's context version.

`access.viewer_for` costs four queries (membership, home chain, offices, groups) and
every page asks for it. It is kept in the cache under the member's *context
version*, a column of the member's row (`User.context_version`) replaced in the very
transaction that changes what decides what the member may see: a membership, an
office, a group membership, a follow, mute or block (both sides), the account's
status, the home cell or a unit above it (signals below; messaging adds relations
through `context_changed`). Every request reads the member's row anyway (the
session names the member, the row is loaded): the version costs no query, and the
cache is only ever asked for a viewer of the version PostgreSQL holds. A cache that
lost the write, was evicted or came back from an old snapshot can only miss.

A viewer built inside a transaction that changed that member's context is not kept:
one that is rolled back must leave nothing behind (and a version is a random value,
never reused, so what was kept under a rolled-back one is never asked for).

Once the change commits, the member's open sockets are told (`organising.live`):
they rebuild their viewer and their subscriptions.
"""

import secrets
import threading

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save

from organising import cached, live

VIEWER_TTL = 3600
CONTEXT, COUNTS, SESSIONS = "context_version", "counts_version", "sessions_version"
_WRITTEN_LIMIT = 10_000


def new_version() -> int:
    """A version no earlier one can equal (random: a rolled-back one is never
    reused, unlike a counter)."""
    return secrets.randbits(62) + 1


_local = threading.local()  # per thread, as database connections are


def _written() -> dict:
    """(field, member id) -> the version this thread last wrote: newer than what a
    member object loaded before the write holds."""
    if not hasattr(_local, "written"):
        _local.written = {}
    return _local.written


def _uncommitted_changes() -> set:
    """Members whose context this thread's open transaction changed."""
    if not hasattr(_local, "uncommitted"):
        _local.uncommitted = set()
    return _local.uncommitted


def version_of(user, field: str = CONTEXT) -> int:
    """The member's version of `field`, as this request knows it."""
    return _written().get((field, user.pk), getattr(user, field, 0))


def bump(field: str, user_ids) -> None:
    """Give these members a new version of `field`, in the current transaction."""
    ids = sorted({pk for pk in user_ids if pk})
    if not ids:
        return
    value = new_version()
    get_user_model().objects.filter(pk__in=ids).update(**{field: value})
    written = _written()
    if len(written) > _WRITTEN_LIMIT:
        written.clear()
    written.update({(field, pk): value for pk in ids})


def context_changed(*user_ids: int) -> None:
    """What these members may see changed: a new context version now (same
    transaction), and their open sockets told once it commits."""
    ids = sorted({pk for pk in user_ids if pk})
    if not ids:
        return
    bump(CONTEXT, ids)
    if cached.in_transaction():
        _uncommitted_changes().update(ids)

    def committed():
        _uncommitted_changes().difference_update(ids)
        for pk in ids:
            live.announce_later(live.user_group(pk), {"type": "context.changed"})

    transaction.on_commit(committed, robust=True)


def _viewer_key(user_id: int, version: int) -> str:
    return f"viewer:{user_id}:{version}"


@cached.guarded(default=None)
def load(user):
    """The kept viewer of the member's current context version, or None."""
    return cached.cache().get(_viewer_key(user.pk, version_of(user)))


@cached.guarded()
def keep(user, viewer) -> None:
    uncommitted = _uncommitted_changes()
    if not cached.in_transaction():
        uncommitted.clear()  # what is left came from transactions rolled back
    elif user.pk in uncommitted:
        return  # built from changes this transaction may still roll back
    cached.cache().set(_viewer_key(user.pk, version_of(user)), viewer, VIEWER_TTL)


# --- Signals: changes made anywhere ------------------------------------------------


def _member_changed(sender, instance, **kwargs):
    context_changed(instance.user_id)


def _account_before_save(sender, instance, update_fields=None, **kwargs):
    """Remember what the row held, to tell a real change from a save of the form."""
    instance._before_save = None
    if instance.pk is None:
        return
    fields = ["is_superuser", "is_active", "display_name"]
    if update_fields is not None:
        fields = [name for name in fields if name in update_fields]
    if fields:
        instance._before_save = (
            type(instance).objects.filter(pk=instance.pk).values(*fields).first()
        )


def account_changed(instance, *fields: str) -> bool:
    """Whether this save of the member's row changed one of `fields` (a post_save
    question; see `_account_before_save`)."""
    before = getattr(instance, "_before_save", None)
    if before is None:
        return False
    return any(
        name in before and before[name] != getattr(instance, name) for name in fields
    )


def _account_saved(sender, instance, created=False, **kwargs):
    if not created and account_changed(instance, "is_superuser", "is_active"):
        context_changed(instance.pk)


def _unit_saved(sender, instance, created=False, **kwargs):
    """Viewers hold their home cell and the paths of their offices' units: everyone
    below gets a new version (one statement; rare: a unit renamed or moved)."""
    if created:
        return
    Membership = apps.get_model("members", "Membership")
    Role = apps.get_model("members", "Role")
    below = Q(unit__path__startswith=instance.path)
    members = Membership.objects.filter(below, ended_on__isnull=True).values("user_id")
    officers = Role.objects.filter(below, ended_on__isnull=True).values("user_id")
    get_user_model().objects.filter(Q(pk__in=members) | Q(pk__in=officers)).update(
        **{CONTEXT: new_version()}
    )
    _written().clear()  # its versions are not the newest any more


def connect() -> None:
    cached.connect()
    models = [
        apps.get_model("members", "Membership"),
        apps.get_model("members", "Role"),
        apps.get_model("federation", "GroupMembership"),
    ]
    for model in models:
        post_save.connect(_member_changed, sender=model)
        post_delete.connect(_member_changed, sender=model)
    user = get_user_model()
    pre_save.connect(_account_before_save, sender=user)
    post_save.connect(_account_saved, sender=user)
    post_save.connect(_unit_saved, sender=apps.get_model("federation", "Unit"))
