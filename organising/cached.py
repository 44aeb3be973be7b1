"""What every use of the shared cache for speed has in common: it is never needed.

A cache error (Redis down, a timeout) turns into the caller's default, and the
caller goes to the database, which stays the source of truth.
"""

import functools
import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


def guarded(default=None):
    """Decorate a function that only reads or writes the cache: errors give
    `default` (logged), never an error page."""

    def wrap(function):
        @functools.wraps(function)
        def guarded_call(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the cache down is a miss, not an error
                logger.warning(
                    "Cache unavailable in %s", function.__name__, exc_info=True
                )
                return default

        return guarded_call

    return wrap


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis.Redis object for every cache call, and building one
    sets up its 170-odd response callbacks: about 0.3 ms, three times on a stored
    home page that otherwise costs 4 ms. One object per connection pool serves
    them all (the pool holds the connections; the object is thread-safe)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache for code that does not guard its calls (allauth's rate
    limits, sessions): an error reads as a miss (get: the default, add and has_key:
    False) and a write that fails is dropped, so pages stay up while Redis is down.
    allauth then refuses sign-ins as rate limited rather than failing (its lock
    cannot be taken): members already signed in go on working."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool

    def validate_key(self, key):
        """Keys only ever go to Redis, which takes any: no memcached portability
        warnings to work out for each of the 60-odd keys a home page reads."""

    def _forgive(self, method: str, default, *args):
        return guarded(default)(getattr(super(), method))(*args)

    def get(self, key, default=None, version=None):
        return self._forgive("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._forgive("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._forgive("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._forgive("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._forgive("delete_many", None, keys, version)
