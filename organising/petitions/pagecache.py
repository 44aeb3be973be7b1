"""The public page of a petition, kept rendered for anonymous visitors.

A petition that goes viral is read by many people who all see the same page: it is
rendered once per *version* of the petition and served again from the cache.
PostgreSQL decides (ARCHITECTURE.md, "caches can only miss"): the key carries the
petition's `version`, read in the same request, and bumped in the transaction of any
change the page shows (text, goal, status); whether it still takes signatures (its
end date passing) is part of the key too. What changes with every signature (the
count and progress bar) is never stored: it is a hole filled at each read from the
row just read, with the CSRF token and CSP nonce. A stale, evicted, restored or
unreachable Redis can only cause a miss, and a miss renders from the database.

The list of signers shown (first names, communes) changes with signatures too: the
page loads it separately (`views.signers`), kept under the petition's
`list_version` in the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.translation import get_language

from organising import cached
from organising.cached import guarded

from .models import Petition

PAGE_TTL = 600
LIST_TTL = 600

# Unguessable and the same in every process: a petition's text cannot spell a hole.
_SECRET = salted_hmac("petitions", "holes", algorithm="sha256").hexdigest()[:20]
CSRF_HOLE = f"csrf{_SECRET}"
NONCE_HOLE = f"nonce{_SECRET}"
COUNT_HOLE = f"<!--count:{_SECRET}-->"
PATH_HOLE = f"path{_SECRET}"
HOLES = {"csrf_token": CSRF_HOLE, "csp_nonce": NONCE_HOLE, "count_hole": COUNT_HOLE}


def page_key(request, petition: Petition) -> str:
    """One stored page per version and language: the address asked (a shared link's
    ?utm_source=…) is a hole too, so random query strings cannot fill the cache."""
    return (
        f"petitions:page:{petition.pk}:{petition.version}:"
        f"{int(petition.accepts_signatures)}:{get_language()}"
    )


class _HoledRequest:
    """The request as the stored page's template sees it: its own address is a
    hole (the layout's language form sends it back)."""

    def __init__(self, request) -> None:
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self) -> str:
        return PATH_HOLE


def holed(request):
    return _HoledRequest(request)


def count_key(petition: Petition) -> str:
    """The count block under the count and goal read in this request."""
    return (
        f"petitions:count:{petition.pk}:{petition.signature_count}:"
        f"{petition.goal}:{get_language()}"
    )


def list_key(petition: Petition) -> str:
    return f"petitions:list:{petition.pk}:{petition.list_version}:{get_language()}"


@guarded(default=None)
def _get(key: str):
    return cached.cache().get(key)


@guarded(default={})
def _get_many(keys: list[str]) -> dict:
    return cached.cache().get_many(keys)


@guarded(default=None)
def _set(key: str, value: str, ttl: int) -> None:
    cached.cache().set(key, value, ttl)


def cacheable(request) -> bool:
    """The page is the same for every anonymous visitor without pending messages."""
    if request.user.is_authenticated:
        return False
    return not request.COOKIES.get("messages")


def stored(key: str, build: Callable[[], str], ttl: int) -> str:
    """The text kept under `key`, or `build()` kept there (not from inside a
    transaction of our own, which may yet roll back)."""
    html = _get(key)
    if html is None:
        html = build()
        if not cached.in_transaction():
            _set(key, html, ttl)
    return html


def stored_many(builds: dict[str, tuple[Callable[[], str], int]]) -> dict[str, str]:
    """`stored` for several keys in one round trip: {key: (build, ttl)}."""
    found = _get_many(list(builds))
    keep = not cached.in_transaction()
    for key, (build, ttl) in builds.items():
        if found.get(key) is None:
            found[key] = build()
            if keep:
                _set(key, found[key], ttl)
    return found


def fill(request, html: str, count_html: str) -> str:
    html = html.replace(CSRF_HOLE, get_token(request))
    html = html.replace(NONCE_HOLE, str(get_nonce(request)))
    html = html.replace(PATH_HOLE, escape(request.get_full_path()))
    return html.replace(COUNT_HOLE, count_html)
