"""What every use of the shared cache for speed has in common: it is never needed.

A cache error (Redis down, a timeout) turns into the caller's default, and the
caller goes to the database, which stays the source of truth. After one error the
cache is left alone for the rest of the request (and for DOWN_FOR seconds outside
requests: sockets, workers), so a Redis that stalls costs a page one short timeout
(settings: CACHE_TIMEOUT_MS), not one per cache call.
"""

import functools
import logging
import threading
import time

from django.core.cache import cache as _default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import request_started, setting_changed
from django.db import connection

logger = logging.getLogger(__name__)

DOWN_FOR = 5.0  # seconds without the cache after an error, outside a request
_state = threading.local()


def cache():
    """The shared cache (a function: settings may change it in tests)."""
    return _default_cache


def is_down() -> bool:
    """Whether a cache call failed earlier in this request (or in the last
    DOWN_FOR seconds of this thread, outside requests)."""
    return getattr(_state, "down_until", 0.0) > time.monotonic()


def mark_down() -> None:
    _state.down_until = time.monotonic() + DOWN_FOR


def _request_started(**kwargs) -> None:
    _state.down_until = 0.0  # each request tries the cache again, once


def _settings_changed(setting, **kwargs) -> None:
    if setting == "CACHES":  # tests point the cache elsewhere: try the new one
        _state.down_until = 0.0


def connect() -> None:
    request_started.connect(_request_started, dispatch_uid="organising.cached")
    setting_changed.connect(_settings_changed, dispatch_uid="organising.cached")


def in_transaction() -> bool:
    """Inside a transaction of this code's own (a test's wrapping one does not
    count): what is read there may be rolled back, so it is not kept."""
    return any(
        not getattr(block, "_from_testcase", False)
        for block in connection.atomic_blocks
    )


def guarded(default=None):
    """Decorate a function that only reads or writes the cache: errors give
    `default` (logged once per request), never an error page; once the cache has
    failed in this request, `default` at once."""

    def wrap(function):
        @functools.wraps(function)
        def guarded_call(*args, **kwargs):
            if is_down():
                return default
            try:
                return function(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the cache down is a miss, not an error
                mark_down()
                logger.warning(
                    "Cache unavailable in %s: skipped for this request",
                    function.__name__,
                    exc_info=True,
                )
                return default

        return guarded_call

    return wrap


class _SharedPools(RedisCacheClient):
    """One connection pool and one client per Redis server for the whole process.

    Django keeps a cache object per thread and per asyncio context, each with its
    own pools: under ASGI every WebSocket held a Redis connection of its own (about
    55 KB of the socket's memory, and a thousand sockets made a thousand connections
    to Redis). It also built a redis.Redis object for every call, which sets up some
    170 response callbacks: 0.3 ms, three times on a stored home page. Pools and
    clients are thread-safe."""

    _shared: dict = {}  # (server, options) -> (pool, client)
    _lock = threading.Lock()

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._options_key = repr(sorted(options.items()))

    def _pool_and_client(self, write: bool) -> tuple:
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, self._options_key)
        found = self._shared.get(key)
        if found is None:
            with self._lock:
                found = self._shared.get(key)
                if found is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)
                    found = (pool, self._client(connection_pool=pool))
                    self._shared[key] = found
        return found

    def _get_connection_pool(self, write):
        return self._pool_and_client(write)[0]

    def get_client(self, key=None, *, write=False):
        return self._pool_and_client(write)[1]


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache for code that does not guard its calls (allauth's rate
    limits, sessions): an error reads as a miss (get: the default, has_key: False,
    add: True, as on an empty cache) and a write that fails is dropped, so pages and
    sign-ins work while Redis is down (rate limits then do not count)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedPools

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
        # Down, the cache is empty: adding would have worked. (allauth takes a lock
        # with add before counting sign-ins: False refused every sign-in with 429.)
        return self._forgive("add", True, key, value, timeout, version)

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
