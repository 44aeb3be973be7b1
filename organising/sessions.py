"""Sessions live in the database; the cache keeps copies checked against it.

Every signed-in page reads its session, and the database row costs a query. A copy
is kept in the cache with the member's *sessions version* (`User.sessions_version`)
at which it was last checked against the database. Ending a session (logging out,
ending it from the sessions page) deletes its row and replaces that version in the
same transaction. The member's row is read by every signed-in request anyway
(`AuthenticationMiddleware` below): a copy whose version is not the row's is checked
against the database again (the row still there: the copy is kept again; gone: the
request is anonymous). A logout whose cache delete was lost (Redis stalled) or a
cache restored from an old snapshot cannot bring a session back.

Checking a copy costs nothing while no session of the member ends; a member who
logs out in one browser costs each of their other browsers one query, once.
"""

from functools import partial

from asgiref.sync import sync_to_async
from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db
from django.db import transaction
from django.utils.functional import SimpleLazyObject

from federation import viewer_cache
from organising import cached

KEY_PREFIX = "session:"
_FORMAT = "v1"  # what a copy holds: (format, data, sessions version or None)


class SessionStore(db.SessionStore):
    # The sessions version the loaded copy was checked at; None: not checked yet.
    checked_at: int | None = None

    @property
    def cache_key(self) -> str:
        return KEY_PREFIX + self._get_or_create_session_key()

    def load(self):
        if self.session_key is not None:
            found = _cache_get(KEY_PREFIX + self.session_key)
            if isinstance(found, tuple) and len(found) == 3 and found[0] == _FORMAT:
                self.checked_at = found[2]
                return found[1]
        self.checked_at = None
        return super().load()

    def save(self, must_create=False):
        super().save(must_create)
        self._keep_copy()

    def _keep_copy(self) -> None:
        if not cached.in_transaction():
            _cache_set(
                self.cache_key,
                (_FORMAT, self._session, self.checked_at),
                self.get_expiry_age(),
            )

    def delete(self, session_key=None):
        """Delete the row and, in the same transaction, replace the member's sessions
        version: a copy the cache failed to drop is checked again."""
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        with transaction.atomic():
            row = self.model.objects.filter(session_key=session_key).first()
            if row is not None:
                user_id = row.get_decoded().get(SESSION_KEY)
                row.delete()
                if user_id is not None:
                    viewer_cache.bump(viewer_cache.SESSIONS, [int(user_id)])
        _cache_delete(KEY_PREFIX + session_key)

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)

    def exists(self, session_key):
        return super().exists(session_key)  # the database's answer, not a copy's

    def still_valid_for(self, user) -> bool:
        """Whether this session may still serve `user`, whose row this request read:
        its copy was checked at the member's current sessions version, or the
        database still holds it (checked after that row was read)."""
        version = viewer_cache.version_of(user, viewer_cache.SESSIONS)
        if self.checked_at == version:
            return True
        if self.session_key is None or not self.exists(self.session_key):
            return False
        self.checked_at = version
        self._keep_copy()
        return True


@cached.guarded(default=None)
def _cache_get(key: str):
    return cached.cache().get(key)


@cached.guarded()
def _cache_set(key: str, value, timeout) -> None:
    cached.cache().set(key, value, timeout)


@cached.guarded()
def _cache_delete(key: str) -> None:
    cached.cache().delete(key)


def get_user(request):
    """Django's `get_user`, refusing a session whose copy outlived its row."""
    user = auth.get_user(request)
    session = request.session
    if (
        user.is_authenticated
        and isinstance(session, SessionStore)
        and not session.still_valid_for(user)
    ):
        session.clear()
        session._session_key = None  # its row is gone: nothing to delete
        return AnonymousUser()
    return user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `get_user` above."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
        request.auser = partial(sync_to_async(get_user), request)
