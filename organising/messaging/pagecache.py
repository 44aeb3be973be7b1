"""The home timeline's pages, kept rendered between reads.

The home timeline is the page members open most, and most reloads find nothing new.
Building a page costs a merge over every unit, group and member it covers plus
thirty cards; serving it again costs two cache round trips. The first page is kept
for PAGE_TTL; an older page (whole, or the fragment that "Older posts" loads) for
OLDER_PAGE_TTL, long enough for what brings a reader back to it (the back button, a
reload, a second tab) without keeping every page of every scroll. A page is kept
under what it was built from, and read again only while all of it still holds:

- the viewer's *context token*, replaced on commit whenever what decides what they
  may see changes: memberships, offices, groups, follows, mutes and blocks (both
  sides), the account itself;
- one *stamp* per source of the page (each unit of the home chain, each group, each
  followed member, the viewer) and one for names, replaced on commit whenever a post
  of that source is published, edited, removed, reacted to, replied to, boosted or
  relayed, or a member, unit or group is renamed;
- one stamp for the viewer's own reactions.

Reactions come in storms (a national post, 100,000 readers): the reactor's own
pages are built again at once, everyone else's at most once per REACTION_WINDOW per
post (at the first reaction, then once at the end of the window), not once per
reaction.

Stamps and tokens are random, never counters: a key lost to eviction or a restart
cannot come back with an old value that an old page matches. The database stays the
source of truth: any doubt (a cache error, Redis down) is a miss, and a miss builds
the page from the database. What differs per request (CSRF token, CSP nonce, unread
badges) is left as holes in the stored page and filled at each read.
"""

import secrets
import zlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language

from federation import viewer_cache
from federation.models import Group, Unit
from members.models import User
from organising.cached import guarded

from . import selectors
from .models import Post, Relation

PAGE_TTL = 600  # a first page nobody reads again leaves the cache
OLDER_PAGE_TTL = 180
# A stamp outlives every page: a page built before its source was first stamped
# (stamp missing) must be gone before that stamp can expire and be missing again.
STAMP_TTL = 86_400
COUNTS_TTL = 300
CARD_TTL = 3600
REACTION_WINDOW = 10  # seconds others' pages may show a post's previous counts

# Unguessable and the same in every process: a post cannot spell a hole.
_SECRET = salted_hmac("pagecache", "holes", algorithm="sha256").hexdigest()[:20]
CSRF_HOLE = f"csrf{_SECRET}"
NONCE_HOLE = f"nonce{_SECRET}"
UNREAD_HOLE = "<!--unread:{kind}:" + _SECRET + "-->"
UNREAD_KINDS = ("messages", "notifications")
REACTIONS_HOLE = f"<!--reactions:{_SECRET}-->"
HOLES = {"csrf_token": CSRF_HOLE, "csp_nonce": NONCE_HOLE, "page_holes": True}


def _token() -> str:
    return secrets.token_hex(6)


# --- What changed -----------------------------------------------------------------


def _stamp_keys(sources: Iterable[str]) -> list[str]:
    return [f"tl:stamp:{source}" for source in sources]


@guarded()
def _stamp_now(sources: list[str]) -> None:
    token = _token()
    cache.set_many(dict.fromkeys(_stamp_keys(sources), token), STAMP_TTL)


def _sources_of(unit_id, group_id, author_id) -> list[str]:
    sources = [f"a{author_id}"]
    if unit_id:
        sources.append(f"u{unit_id}")
    if group_id:
        sources.append(f"g{group_id}")
    return sources


def post_changed(post: Post) -> None:
    """On commit, stamp the sources of every card that shows `post`: its own, its
    parent's and root's (their reply counts), and those of the boosts and relays
    that share it."""
    ids = {post.pk, post.parent_id, post.root_id} - {None}
    transaction.on_commit(lambda: stamp_sources(post.pk, ids), robust=True)


def stamp_sources(post_id: int, ids: set[int] | None = None) -> None:
    """Stamp the sources of every card showing the post (see `post_changed`);
    `ids`: the post, its parent and its root, read here when not given."""
    if ids is None:
        post = Post.objects.filter(pk=post_id).values("parent_id", "root_id").first()
        ids = {post_id, *(post.values() if post else ())} - {None}
    rows = Post.objects.filter(Q(pk__in=ids) | Q(shared_id=post_id)).values_list(
        "unit_id", "audience_group_id", "author_id"
    )
    _stamp_now([source for row in rows for source in _sources_of(*row)])


def reaction_changed(post: Post, user_id: int) -> None:
    """On commit: the reactor's own pages at once; the pages of everyone who sees
    the post at the first reaction of a REACTION_WINDOW, then once at its end."""

    def stamp():
        _stamp_now([f"m{user_id}"])
        if _first_in_window(f"tl:rx:{post.pk}"):
            stamp_sources(post.pk)
        elif _first_in_window(f"tl:rx-late:{post.pk}"):
            from .tasks import stamp_post_sources

            stamp_post_sources.apply_async((post.pk,), countdown=REACTION_WINDOW)

    transaction.on_commit(stamp, robust=True)


@guarded(default=True)
def _first_in_window(key: str) -> bool:
    return cache.add(key, 1, REACTION_WINDOW)


def names_changed() -> None:
    """A member, unit or group was renamed: every stored page may show the name."""
    transaction.on_commit(lambda: _stamp_now(["names"]), robust=True)


@guarded()
def counts_changed(user_id: int) -> None:
    cache.delete(f"tl:counts:{user_id}")


# --- Reading ----------------------------------------------------------------------


def _context(user) -> tuple[str, list[str]]:
    """The viewer's context token and the sources of their home page (read from
    the database when the token moved)."""
    token_key, sources_key = viewer_cache.token_key(user.pk), f"tl:sources:{user.pk}"
    found = cache.get_many([token_key, sources_key])
    token, stored = viewer_cache.current_token(user.pk, found), found.get(sources_key)
    if stored is not None and stored[0] == token:
        return token, stored[1]
    home = selectors.home_sources(user)
    sources = sorted(
        [f"u{pk}" for pk in home.unit_ids]
        + [f"g{pk}" for pk in home.group_ids]
        + [f"a{pk}" for pk in {user.pk, *home.followed}]
    ) + ["names", f"m{user.pk}"]
    cache.set(sources_key, (token, sources), PAGE_TTL)
    return token, sources


def cacheable(request) -> bool:
    """A plain read: the first page or an older one (`before`, whole or as the
    htmx fragment), no other parameter, no flash message waiting (those are shown
    once)."""
    return (
        set(request.GET) <= {"before"}
        and not (getattr(request, "htmx", False) and not request.GET)
        and "messages" not in request.COOKIES
        and "_messages" not in request.session
    )


def serve_home(request, cursor, *, items_only: bool, build: Callable[[], str]) -> str:
    """The HTML of the home page at `cursor` (None: the first page), whole or its
    items only, for this request: the stored page if it still holds, else `build()`
    (rendered with HOLES in its context), stored for next time."""
    lookup = _lookup_home(request, _page_name(cursor, items_only))
    if lookup is not None and lookup[2] is not None:
        return fill(request, lookup[2])
    html = build()  # stamps were read first: a change while building shows next time
    if lookup is not None:
        _store(lookup[0], lookup[1], html, OLDER_PAGE_TTL if cursor else PAGE_TTL)
    return fill(request, html)


def _page_name(cursor, items_only: bool) -> str:
    if cursor is None:
        return "first"
    part = "items" if items_only else "page"
    return f"{part}:{cursor.encode()}"  # encoded again: one key per position


@guarded()
def _lookup_home(request, name: str) -> tuple[str, tuple, str | None]:
    """(key, version, the stored HTML if it is of this version)."""
    user = request.user
    token, sources = _context(user)
    page_key = f"tl:page:{user.pk}:{get_language()}:{name}"
    counts_key = f"tl:counts:{user.pk}"
    stamp_keys = _stamp_keys(sources)
    found = cache.get_many([page_key, counts_key, *stamp_keys])
    request._messaging_unread = found.get(counts_key)
    version = (token, [found.get(key) for key in stamp_keys])
    stored = found.get(page_key)
    if stored is None or stored[0] != version:
        return page_key, version, None
    return page_key, version, zlib.decompress(stored[1]).decode()


@guarded()
def _store(key: str, version: tuple, html: str, ttl: int) -> None:
    # Compressed: a page of 70 KB keeps in 6 KB for 0.1 ms of CPU each way.
    cache.set(key, (version, zlib.compress(html.encode(), 1)), ttl)


def unread_counts(request) -> dict[str, int]:
    """The signed-in member's unread counts: kept on the request, then in the
    cache (dropped on commit of any change, `broadcast.counts_changed`)."""
    counts = getattr(request, "_messaging_unread", None)
    if counts is None:
        user_id = request.user.pk
        counts = _stored_counts(user_id)
        if counts is None:
            counts = selectors.unread_counts(user_id)
            _keep_counts(user_id, counts)
        request._messaging_unread = counts
    return counts


@guarded()
def _stored_counts(user_id: int) -> dict[str, int] | None:
    return cache.get(f"tl:counts:{user_id}")


@guarded()
def _keep_counts(user_id: int, counts: dict[str, int]) -> None:
    cache.set(f"tl:counts:{user_id}", counts, COUNTS_TTL)


def fill(request, html: str) -> str:
    from .templatetags.messaging_tags import unread_badge_html

    html = html.replace(CSRF_HOLE, get_token(request))
    html = html.replace(NONCE_HOLE, str(get_nonce(request)))
    holes = {kind: UNREAD_HOLE.format(kind=kind) for kind in UNREAD_KINDS}
    if not any(hole in html for hole in holes.values()):
        return html  # a fragment has no badges: no counts to read
    counts = unread_counts(request)
    for kind, hole in holes.items():
        html = html.replace(hole, unread_badge_html(kind, counts[kind]))
    return html


# --- Cards: one rendering shared by every reader --------------------------------


def _card_key(pk: int, language: str, version: tuple) -> str:
    """Names the card's content: what an edit, a reply or a removal of the shared
    original changes (`selectors.card_versions`; names are checked against their
    stamp when read)."""
    parts = [pk, language, *version]
    return "tl:card:" + ":".join(str(part) for part in parts).replace(" ", "_")


def timeline_cards(ids: list[int], user, csrf_token) -> str:
    """The cards of a timeline page, newest first: rendered once for all readers
    with the reactions and the CSRF token left as holes, filled here for this
    reader. Only the posts whose card is not stored yet are loaded."""
    from .templatetags.messaging_tags import reaction_buttons

    language = get_language()
    keys = {
        pk: _card_key(pk, language, version)
        for pk, version in selectors.card_versions(ids).items()
    }
    found = _cards_stored(list(keys.values()))
    names = found.pop("tl:stamp:names", None)
    cards = {}
    for pk, key in keys.items():
        stored = found.get(key)
        if stored is not None and stored[0] == names:
            cards[pk] = stored[1]
    missing = [pk for pk in ids if pk in keys and pk not in cards]
    if missing:
        fresh = {}
        for post in selectors.decorate_content(selectors.load_posts(missing)):
            cards[post.pk] = render_to_string(
                "messaging/_post.html",
                {"post": post, "csrf_token": CSRF_HOLE, "card_holes": True},
            )
            fresh[keys[post.pk]] = (names, cards[post.pk])
        _cards_keep(fresh)
    reactions = selectors.reaction_lists(list(cards), user)
    html = "".join(
        cards[pk].replace(REACTIONS_HOLE, reaction_buttons(reactions[pk]))
        for pk in ids
        if pk in cards
    )
    return html.replace(CSRF_HOLE, str(csrf_token))


@guarded(default={})
def _cards_stored(keys: list[str]) -> dict:
    return cache.get_many(["tl:stamp:names", *keys])


@guarded()
def _cards_keep(cards: dict) -> None:
    cache.set_many(cards, CARD_TTL)


# --- Signals: changes made anywhere ------------------------------------------------


def _relation_changed(sender, instance, **kwargs):
    viewer_cache.context_changed(instance.owner_id, instance.target_id)


def _user_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or "display_name" in update_fields:
        names_changed()


def _renamed(sender, instance, created=False, update_fields=None, **kwargs):
    if not created and (update_fields is None or "name" in update_fields):
        names_changed()


def connect() -> None:
    """Follows, mutes and blocks change what a timeline shows (memberships, offices
    and groups change the context token in `federation.viewer_cache`)."""
    post_save.connect(_relation_changed, sender=Relation)
    post_delete.connect(_relation_changed, sender=Relation)
    post_save.connect(_user_saved, sender=User)
    for model in (Unit, Group):
        post_save.connect(_renamed, sender=model)
