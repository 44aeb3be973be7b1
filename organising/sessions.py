"""Sessions read from the cache, kept in the database (SESSION_ENGINE).

Every signed-in page reads its session; Django's cached_db store reads it from the
cache and writes through to the database. Two things it does not do, added here:

- the cache is never needed: when it fails (Redis down), sessions are read from and
  written to the database alone, instead of every page failing;
- a cached copy lives at most CACHED_FOR seconds, so that a logout whose cache delete
  failed while Redis was down cannot leave a usable copy for long after it returns.
"""

from django.contrib.sessions.backends import cached_db

from .cached import guarded

CACHED_FOR = 300


class _Forgiving:
    """The cache as the session store uses it, with errors as misses."""

    def __init__(self, cache):
        self.cache = cache

    @guarded()
    def get(self, key):
        return self.cache.get(key)

    @guarded()
    def set(self, key, value, timeout):
        self.cache.set(key, value, min(timeout, CACHED_FOR))

    @guarded()
    def delete(self, key):
        self.cache.delete(key)

    @guarded(default=False)
    def __contains__(self, key):
        return key in self.cache


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _Forgiving(self._cache)
