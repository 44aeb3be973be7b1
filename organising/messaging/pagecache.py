"""The home timeline's pages, kept rendered between reads, and the cards of every
timeline, rendered once for all their readers.

The home timeline is the page members open most, and most reloads find nothing new.
Building a page costs a merge over every unit, group and member it covers plus
thirty cards; serving it again costs one cache round trip and one small query. The
first page is kept for PAGE_TTL; an older page (whole, or the fragment that "Older
posts" loads) for OLDER_PAGE_TTL, long enough for what brings a reader back to it
(the back button, a reload, a second tab) without keeping every page of every
scroll.

PostgreSQL decides whether a stored page may be served (ARCHITECTURE.md, "caches can
only miss"). A page is stored under the viewer's *context version* (their row,
`federation.viewer_cache`: memberships, offices, groups, follows, mutes, blocks) and
with the *stamps* (`Stamp` rows) it was built under, which are read again from the
database at every read, in one query:

- one per source of the page (each unit of the home chain, each group, each followed
  member, the viewer), replaced whenever a post of that source is published,
  edited, removed, reacted to, replied to, boosted or relayed;
- one for the viewer's own reactions;
- one per name the page shows (authors, units, groups), replaced when it really
  changes: a member renaming themself rebuilds only the pages and cards that show
  them.

Stamps are replaced in the transaction that makes the change: a Redis that lost a
write, was evicted or comes back from an old snapshot only holds pages whose stamps
no longer match, and misses. Any doubt (a cache error, Redis down) is a miss too,
and a miss builds the page from the database. What differs per request (CSRF token,
CSP nonce, unread badges) is left as holes in the stored page and filled at each
read.

Reactions come in storms (a national post, 100,000 readers): the reactor's own
pages are built again at once, everyone else's at most once per REACTION_WINDOW per
post (at the first reaction, then once at the end of the window), not once per
reaction: counts may lag by that window, never what may be seen.
"""

import contextvars
import hashlib
import zlib
from collections.abc import Callable, Iterable

from celery import shared_task
from django.db import connection, transaction
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
from organising import cached
from organising.cached import guarded
from organising.queueing import enqueue_on_commit

from . import events, selectors, streams
from .fragments import reaction_buttons, unread_badge_html
from .models import Post, Relation, Stamp

PAGE_TTL = 600  # a first page nobody reads again leaves the cache
OLDER_PAGE_TTL = 180
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


# --- Stamps: versions kept in PostgreSQL -----------------------------------------


def stamp(keys: Iterable[str]) -> None:
    """New values for these stamps, in the current transaction (sorted: two
    transactions stamping the same rows take their locks in the same order)."""
    keys = sorted(set(keys))
    if not keys:
        return
    value = viewer_cache.new_version()
    Stamp.objects.bulk_create(
        [Stamp(key=key, value=value) for key in keys],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["value"],
    )


def stamps_of(keys: Iterable[str]) -> dict[str, int]:
    """The current stamps of `keys` (0: never stamped), in one query."""
    keys = sorted(set(keys))
    found = _read_stamps(keys) if keys else {}
    return {key: found.get(key, 0) for key in keys}


def _read_stamps(keys: list[str]) -> dict[str, int]:
    # A stored page reads a hundred-odd stamps at every read: through the ORM, the
    # IN of a hundred parameters cost ~2.5 ms of Python, more than the rest of the
    # page's SQL; on PostgreSQL they go as one array parameter (0.3 ms).
    if connection.vendor != "postgresql":
        return dict(Stamp.objects.filter(key__in=keys).values_list("key", "value"))
    table = connection.ops.quote_name(Stamp._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "key", "value" FROM {table} WHERE "key" = ANY(%s)',  # noqa: S608
            [keys],
        )
        return dict(cursor.fetchall())


# --- What changed -----------------------------------------------------------------


def _sources_of(unit_id, group_id, author_id) -> list[str]:
    sources = [f"a{author_id}"]
    if unit_id:
        sources.append(f"u{unit_id}")
    if group_id:
        sources.append(f"g{group_id}")
    return sources


def post_changed(post: Post) -> None:
    """Stamp, in the current transaction, the sources of every card that shows
    `post`: its own, its parent's and root's (their reply counts), and those of the
    boosts and relays that share it."""
    stamp_sources(post.pk, {post.pk, post.parent_id, post.root_id} - {None})


def stamp_sources(post_id: int, ids: set[int] | None = None) -> None:
    """Stamp the sources of every card showing the post (see `post_changed`);
    `ids`: the post, its parent and its root, read here when not given."""
    if ids is None:
        post = Post.objects.filter(pk=post_id).values("parent_id", "root_id").first()
        ids = {post_id, *(post.values() if post else ())} - {None}
    rows = Post.objects.filter(Q(pk__in=ids) | Q(shared_id=post_id)).values_list(
        "unit_id", "audience_group_id", "author_id"
    )
    stamp(source for row in rows for source in _sources_of(*row))


def reaction_changed(post: Post, user_id: int) -> None:
    """The reactor's own pages at once; the pages of everyone who sees the post at
    the first reaction of a REACTION_WINDOW, then once at its end (a task)."""
    stamp([f"m{user_id}"])
    if _first_in_window(f"tl:rx:{post.pk}"):
        stamp_sources(post.pk)
    elif _first_in_window(f"tl:rx-late:{post.pk}"):
        post_id = post.pk
        enqueue_on_commit(
            stamp_post_sources,
            post_id,
            countdown=REACTION_WINDOW,
            # No broker: stamp now, other readers see the counts at once.
            fallback=lambda: stamp_post_sources(post_id),
        )


# Named as when it lived in tasks.py: tasks queued before an upgrade still run.
@shared_task(name="organising.messaging.tasks.stamp_post_sources")
def stamp_post_sources(post_id: int) -> None:
    """The end of a storm of reactions: stored pages showing the post are built
    again (`reaction_changed`). Safe to run twice."""
    with transaction.atomic():
        stamp_sources(post_id)


@guarded(default=True)
def _first_in_window(key: str) -> bool:
    return cached.cache().add(key, 1, REACTION_WINDOW)


def name_key(kind: str, pk) -> str:
    """The stamp of a name: "a" a member, "u" a unit, "g" a group."""
    return f"n:{kind}{pk}"


# --- Reading ----------------------------------------------------------------------

_SOURCES_TTL = PAGE_TTL


def _sources(user, stored) -> list[str]:
    """The stamps every home page of `user` depends on (`stored`: what the cache
    held for this context version)."""
    if stored is not None:
        return stored
    sources = streams.Home.of(user).stamps()
    _keep(_sources_key(user), sources, _SOURCES_TTL)
    return sources


def _sources_key(user) -> str:
    return f"tl:sources:{user.pk}:{viewer_cache.version_of(user)}"


def _counts_key(user) -> str:
    return f"tl:counts:{user.pk}:{viewer_cache.version_of(user, viewer_cache.COUNTS)}"


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


_names_seen: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "names_seen", default=None
)


def serve_home(request, cursor, *, items_only: bool, build: Callable[[], str]) -> str:
    """The HTML of the home page at `cursor` (None: the first page), whole or its
    items only, for this request: the stored page if every stamp it was built under
    still holds, else `build()` (rendered with HOLES in its context), stored for next
    time."""
    user = request.user
    page_key = (
        f"tl:page:{user.pk}:{viewer_cache.version_of(user)}:{get_language()}:"
        f"{_page_name(cursor, items_only)}"
    )
    found = _get_many([_sources_key(user), page_key, _counts_key(user)])
    if found.get(_counts_key(user)) is not None:
        request._messaging_unread = found[_counts_key(user)]
    sources = _sources(user, found.get(_sources_key(user)))
    stored = found.get(page_key)
    names = stored[1] if stored is not None else ()
    # Read before building: a change committed while building shows next time.
    stamps = stamps_of([*sources, *names])
    version = tuple(stamps[key] for key in (*sources, *names))
    if stored is not None and stored[0] == sources and stored[2] == version:
        return fill(request, zlib.decompress(stored[3]).decode())
    seen = {}
    token = _names_seen.set(seen)
    try:
        html = build()
    finally:
        _names_seen.reset(token)
    names = tuple(sorted(set(seen) - set(sources)))
    version = tuple(stamps[key] for key in sources) + tuple(seen[key] for key in names)
    if not cached.in_transaction():
        # Compressed: a page of 70 KB keeps in 6 KB for 0.1 ms of CPU each way.
        _keep(
            page_key,
            (sources, names, version, zlib.compress(html.encode(), 1)),
            OLDER_PAGE_TTL if cursor else PAGE_TTL,
        )
    return fill(request, html)


def _page_name(cursor, items_only: bool) -> str:
    if cursor is None:
        return "first"
    part = "items" if items_only else "page"
    return f"{part}:{cursor.encode()}"  # encoded again: one key per position


@guarded(default={})
def _get_many(keys: list[str]) -> dict:
    return cached.cache().get_many(keys)


@guarded()
def _keep(key: str, value, ttl: int) -> None:
    cached.cache().set(key, value, ttl)


def unread_counts(request) -> dict[str, int]:
    """The signed-in member's unread counts: kept on the request, then in the
    cache under the member's counts version (`broadcast.counts_changed`)."""
    counts = getattr(request, "_messaging_unread", None)
    if counts is None:
        user = request.user
        counts = _get_many([_counts_key(user)]).get(_counts_key(user))
        if counts is None:
            counts = selectors.unread_counts(user.pk)
            if not cached.in_transaction():
                _keep(_counts_key(user), counts, COUNTS_TTL)
        request._messaging_unread = counts
    return counts


def fill(request, html: str) -> str:
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


def _card_states(ids: list[int]) -> dict[int, tuple[tuple, list[str]]]:
    """Per post, what its card's content depends on (the edit time, the reply count
    and, for a boost or relay, the original's edit time and removal) and the names
    it shows: one light query (no model built)."""
    rows = Post.objects.filter(pk__in=ids).values_list(
        "id",
        "edited_at",
        "reply_count",
        "author_id",
        "unit_id",
        "audience_group_id",
        "shared_id",
        "shared__edited_at",
        "shared__deleted_at",
        "shared__hidden_at",
        "shared__author_id",
        "shared__unit_id",
        "shared__audience_group_id",
    )
    states = {}
    for pk, edited, replies, author, unit, group, shared, *original in rows:
        version = (edited, replies)
        people = [("a", author), ("u", unit), ("g", group)]
        if shared:  # the original's edit time, when it was removed, its names
            version += (original[0], original[1] or original[2])
            people += [("a", original[3]), ("u", original[4]), ("g", original[5])]
        names = [name_key(kind, ref) for kind, ref in people if ref]
        states[pk] = (version, names)
    return states


def _card_key(pk: int, language: str, version: tuple) -> str:
    digest = hashlib.blake2b(repr(version).encode(), digest_size=10).hexdigest()
    return f"tl:card:{pk}:{language}:{digest}"


def timeline_cards(ids: list[int], user, csrf_token) -> str:
    """The cards of a timeline page, newest first: rendered once for all readers
    with the reactions and the CSRF token left as holes, filled here for this
    reader. Only the posts whose card is not stored yet are loaded. A card is kept
    under its content's version and its names' stamps, read here from the
    database."""
    language = get_language()
    states = _card_states(ids)
    name_stamps = stamps_of(key for _version, names in states.values() for key in names)
    seen = _names_seen.get()
    if seen is not None:  # a stored page depends on these names too
        seen.update(name_stamps)
    keys = {
        pk: _card_key(pk, language, (version, tuple(name_stamps[key] for key in names)))
        for pk, (version, names) in states.items()
    }
    found = _get_many(list(keys.values()))
    cards = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk in keys and pk not in cards]
    if missing:
        fresh = {}
        for post in selectors.decorate_content(selectors.load_posts(missing)):
            cards[post.pk] = render_to_string(
                "messaging/_post.html",
                {"post": post, "csrf_token": CSRF_HOLE, "card_holes": True},
            )
            fresh[keys[post.pk]] = cards[post.pk]
        if not cached.in_transaction():
            _cards_keep(fresh)
    reactions = selectors.reaction_lists(list(cards), user)
    html = "".join(
        cards[pk].replace(REACTIONS_HOLE, reaction_buttons(reactions[pk]))
        for pk in ids
        if pk in cards
    )
    return html.replace(CSRF_HOLE, str(csrf_token))


@guarded()
def _cards_keep(cards: dict) -> None:
    cached.cache().set_many(cards, CARD_TTL)


# --- Signals: changes made anywhere ------------------------------------------------


def _relation_changed(sender, instance, **kwargs):
    viewer_cache.context_changed(instance.owner_id, instance.target_id)


def _user_saved(sender, instance, created=False, **kwargs):
    if not created and viewer_cache.account_changed(instance, "display_name"):
        stamp([name_key("a", instance.pk)])


def _renamed(sender, instance, created=False, update_fields=None, **kwargs):
    if not created and (update_fields is None or "name" in update_fields):
        stamp([name_key("u" if sender is Unit else "g", instance.pk)])


def connect() -> None:
    """Follows, mutes and blocks change what a timeline shows (memberships, offices
    and groups change the context version in `federation.viewer_cache`)."""
    events.subscribe("post", lambda post, action: post_changed(post))
    events.subscribe("reaction", reaction_changed)
    post_save.connect(_relation_changed, sender=Relation)
    post_delete.connect(_relation_changed, sender=Relation)
    post_save.connect(_user_saved, sender=User)
    for model in (Unit, Group):
        post_save.connect(_renamed, sender=model)
