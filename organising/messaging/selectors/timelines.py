"""Messaging selectors: timelines."""

import functools

from django.db import connection
from django.db.models import Q, QuerySet

from federation import access
from federation.models import Group, Unit

from .. import streams
from ..models import (
    LIVE_ROOT,
    Post,
    Relation,
)
from ..text import hashtag_key
from .pages import (
    CATCH_UP_LIMIT,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    POST_RELATED,
    Cursor,
    Page,
    _before,
)

# --- Timelines ------------------------------------------------------------------


def silenced_ids(user) -> frozenset[int]:
    """Members the viewer muted or blocked, and those who blocked the viewer: one
    query, remembered on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_silenced_ids", None)
    if cached is None:
        rows = Relation.objects.filter(
            Q(owner_id=user.pk, kind__in=[Relation.Kind.MUTE, Relation.Kind.BLOCK])
            | Q(target_id=user.pk, kind=Relation.Kind.BLOCK)
        ).values_list("owner_id", "target_id")
        cached = frozenset(
            target if owner == user.pk else owner for owner, target in rows
        )
        user._silenced_ids = cached
    return cached


def _silenced_authors(user) -> Q:
    """A Q that matches the posts of silenced members (an empty Q when none)."""
    ids = silenced_ids(user)
    return Q(author_id__in=sorted(ids)) if ids else Q()


def visible_to(user) -> Q:
    """The posts the user may see (`access.content_filter`)."""
    return access.content_filter(user)


def _timeline_rows(user, scope: Q) -> QuerySet:
    return (
        Post.objects.filter(LIVE_ROOT)
        .filter(scope)
        .filter(visible_to(user))
        .exclude(_silenced_authors(user))
    )


def _merged_page(
    user, branches: list[Q], cursor: Cursor | None, size: int
) -> "TimelinePage":
    """A newest-first page over the union of `branches`.

    Each branch is read newest first along its own index ((unit, created, id),
    (author, created, id)...) and stops after `size + 1` visible rows; one SQL
    statement runs them all (UNION ALL), the merge happens here, and a second query
    loads the page's posts with what they show. Two queries whatever the page size,
    the tree size or the number of posts in the audience: this is what keeps a
    national post, read by 100,000 members, as cheap to read as a cell's."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    if not branches:
        return TimelinePage(ids=[], next_cursor=None)
    if (
        len(branches) > 1
        and not connection.features.supports_slicing_ordering_in_compound
    ):
        # SQLite (the embedded default, small data): one condition instead.
        merged = Q()
        for branch in branches:
            merged |= branch
        branches = [merged]
    base = _before(_timeline_rows(user, Q()), cursor)
    if len(branches) > 1:
        rows = _union_of_branches(base, branches, size + 1)
    else:
        rows = base.filter(branches[0]).order_by("-created", "-id")
        rows = rows.values_list("id", "created")[: size + 1]
    newest = sorted(set(rows), key=lambda row: (row[1], row[0]), reverse=True)
    more = len(newest) > size
    newest = newest[:size]
    return TimelinePage(
        ids=[pk for pk, _created in newest],
        next_cursor=Cursor(created=newest[-1][1], id=newest[-1][0])
        if more and newest
        else None,
    )


class TimelinePage:
    """A page of a timeline: its posts' ids, newest first, and the next page's cursor.
    The posts are loaded when first asked for (`items`, the API); a web page loads
    only those whose card is not rendered yet (`pagecache.timeline_cards`)."""

    def __init__(self, ids: list[int], next_cursor: Cursor | None):
        self.ids = ids
        self.next_cursor = next_cursor

    @property
    def next(self) -> str | None:
        return self.next_cursor.encode() if self.next_cursor else None

    @functools.cached_property
    def items(self) -> list[Post]:
        return load_posts(self.ids)


def load_posts(ids: list[int]) -> list[Post]:
    """The posts with what their cards show, in the order of `ids` (those gone
    meanwhile left out): one query."""
    found = Post.objects.select_related(*POST_RELATED).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _from_where(rows: QuerySet) -> tuple[str, str, list]:
    """FROM (with the joins its filters need) and WHERE of a query, as SQL."""
    compiler = rows.query.get_compiler(rows.db)
    where, where_params = compiler.compile(rows.query.where)
    tables, from_params = compiler.get_from_clause()
    return " ".join(tables), where or "TRUE", [*from_params, *where_params]


def _union_of_branches(base: QuerySet, branches: list[Q], limit: int) -> list:
    """(id, created) of the newest `limit` rows of `base` in each branch, in one
    UNION ALL statement. What every branch shares (liveness, visibility, silenced
    authors, cursor) is compiled once, not once per branch: on a home timeline of
    six branches, the ORM's compilation cost more than the SQL."""
    tables, shared, shared_params = _from_where(base)
    post = connection.ops.quote_name(Post._meta.db_table)
    statements, params = [], []
    for branch in branches:
        branch_tables, branch_sql, branch_params = _from_where(
            Post.objects.filter(branch)
        )
        if branch_tables != post:  # a branch needing a join: let the ORM do it all
            return _orm_union(base, branches, limit)
        statements.append(
            f"(SELECT {post}.id, {post}.created FROM {tables} "  # noqa: S608 - compiled SQL, params apart
            f"WHERE ({shared}) AND ({branch_sql}) ORDER BY 2 DESC, 1 DESC "
            f"LIMIT {int(limit)})"
        )
        params += [*shared_params, *branch_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(statements), params)
        return cursor.fetchall()


def _orm_union(base: QuerySet, branches: list[Q], limit: int):
    parts = [
        base.filter(branch)
        .order_by("-created", "-id")
        .values_list("id", "created")[:limit]
        for branch in branches
    ]
    return parts[0].union(*parts[1:], all=True)


def home_sources(user) -> streams.Home:
    """What the home timeline covers (`streams.Home`)."""
    return streams.Home.of(user)


def home_branches(user) -> list[Q]:
    return streams.Home.of(user).branches()


def home_scope(user) -> Q:
    return streams.Home.of(user).scope()


def timeline_home(
    user, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> "TimelinePage":
    return _merged_page(user, home_branches(user), cursor, size)


def timeline_unit(
    user, unit: Unit, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    return _merged_page(user, [streams.unit_scope(unit.pk)], cursor, size)


def timeline_group(
    user, group: Group, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    return _merged_page(user, [streams.group_scope(group.pk)], cursor, size)


def timeline_public(
    user, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    return _merged_page(user, [streams.public_scope()], cursor, size)


def timeline_hashtag(
    user, name: str, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    scope = streams.tag_scope(name=hashtag_key(name))
    return _merged_page(user, [scope], cursor, size)


def timeline_author(
    user, author, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    return _merged_page(user, [streams.author_scope(author.pk)], cursor, size)


def timeline_since(user, scope: Q, since_id: int) -> tuple[list[Post], bool]:
    """What a reconnecting socket missed: posts newer than `since_id`, oldest first,
    at most CATCH_UP_LIMIT (the bool says more were left out)."""
    rows = list(
        _timeline_rows(user, scope)
        .filter(id__gt=since_id)
        .order_by("id")[: CATCH_UP_LIMIT + 1]
    )
    return rows[:CATCH_UP_LIMIT], len(rows) > CATCH_UP_LIMIT
