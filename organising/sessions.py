"""Sessions read from the cache, kept in the database (SESSION_ENGINE).

Every signed-in page reads its session; Django's cached_db store reads it from the
cache and writes through to the database (with Redis down, the cache's errors are
misses: `organising.cached.ForgivingRedisCache`). What it does not do, added here: a
cached copy lives at most CACHED_FOR seconds, so that a logout whose cache delete
failed while Redis was down cannot leave a usable copy for long after it returns.
"""

from django.contrib.sessions.backends import cached_db

CACHED_FOR = 300


class _ShortLived:
    """The cache as the session store uses it, keeping copies CACHED_FOR at most."""

    def __init__(self, cache):
        self.cache = cache

    def __getattr__(self, name):
        return getattr(self.cache, name)

    def __contains__(self, key):
        return key in self.cache

    def set(self, key, value, timeout):
        self.cache.set(key, value, min(timeout, CACHED_FOR))


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _ShortLived(self._cache)
