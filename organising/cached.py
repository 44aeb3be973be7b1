"""What every use of the shared cache for speed has in common: it is never needed.

A cache error (Redis down, a timeout) turns into the caller's default, and the
caller goes to the database, which stays the source of truth.
"""

import functools
import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

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


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache for code that does not guard its calls (allauth's rate
    limits, sessions): an error reads as a miss (get: the default, add and has_key:
    False) and a write that fails is dropped, so pages stay up while Redis is down.
    allauth then refuses sign-ins as rate limited rather than failing (its lock
    cannot be taken): members already signed in go on working."""

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
