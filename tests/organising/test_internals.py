"""Where Maillage overrides or leans on a private Django or Channels internal, the
code it was written against is pinned here: an upgrade that changes it fails this
test, and whoever upgrades reviews the override named in the message, then updates
the digest."""

import hashlib
import inspect

import pytest
from channels.consumer import AsyncConsumer
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# (the original, the first 16 hex digits of its source's SHA-256, what leans on it)
PINNED = [
    (RedisCacheClient.__init__, "9f9dec1651ff4b27", "organising.cached._SharedPools"),
    (
        RedisCacheClient._get_connection_pool,
        "025850f6ffcb98ed",
        "organising.cached._SharedPools",
    ),
    (RedisCacheClient.get_client, "ba56fb39ace75b84", "organising.cached._SharedPools"),
    (
        RedisCacheClient._get_connection_pool_index,
        "8b1a0dd8935e5114",
        "organising.cached._SharedPools",
    ),
    (
        RedisCache.__init__,
        "40131bec6169f7fa",
        "organising.cached.ForgivingRedisCache (self._class)",
    ),
    (
        AsyncConsumer.__call__,
        "e52238720872dbc3",
        "organising.messaging.consumers.LiveConsumer.__call__",
    ),
    (
        AsyncConsumer.dispatch,
        "39f34e7d4fb0f655",
        "organising.messaging.consumers.LiveConsumer.dispatch",
    ),
    (
        AuthenticationMiddleware.process_request,
        "6dd39b90ad6373e2",
        "organising.sessions.AuthenticationMiddleware",
    ),
    (SessionStore.load, "89d644d66ff7dc2d", "organising.sessions.SessionStore.load"),
    (SessionStore.save, "b14d9cc990fae185", "organising.sessions.SessionStore.save"),
    (
        SessionStore.delete,
        "0d2585399e9d1973",
        "organising.sessions.SessionStore.delete",
    ),
]


def _digest(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("original", "digest", "override"),
    PINNED,
    ids=[original.__qualname__ for original, _digest_, _override in PINNED],
)
def test_the_internal_an_override_relies_on_is_unchanged(original, digest, override):
    assert _digest(original) == digest, (
        f"{original.__module__}.{original.__qualname__} changed: review {override} "
        "against the new version, then update its digest here."
    )


def test_the_shared_pools_still_find_what_they_use():
    """_SharedPools reads these attributes of Django's client."""
    from django.core.cache import caches

    client = RedisCacheClient(["redis://127.0.0.1:1/0"])
    for name in ("_servers", "_pool_class", "_pool_options", "_client"):
        assert hasattr(client, name), name
    assert caches  # the cache handler imports cleanly
