"""Reads that need care: timelines, threads, conversations, unread counts.

Timelines are read, not delivered (fan-out on read): a page is one indexed query over
the posts published in the units, groups and authors the timeline covers, kept to
those the viewer may see (`federation.access.visible_filter`), newest first, cut by a
keyset cursor (created, id). Decorating a page (reactions, images) costs a fixed
number of queries whatever its size.
"""

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, IntegerField, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from federation import access
from federation.models import Group, Unit
from members.models import User

from . import streams
from .models import (
    LIVE_ROOT,
    Conversation,
    Message,
    Notification,
    Participant,
    Post,
    PostImage,
    Reaction,
    Relation,
)
from .text import hashtag_key

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
THREAD_LIMIT = 300
CATCH_UP_LIMIT = 50
POST_RELATED = (
    "author",
    "unit",
    "audience_group",
    "shared",
    "shared__author",
    "shared__unit",
)


# --- Cursors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in a newest-first list: (created, id) of the last item shown."""

    created: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.created.timestamp() * 1_000_000)
        return (
            base64.urlsafe_b64encode(f"{micros}.{self.id}".encode())
            .decode()
            .rstrip("=")
        )

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        if not raw:
            return None
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            micros, pk = text.split(".")
            created = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            return cls(created=created, id=int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
            raise ValidationError({"cursor": _("This cursor is not valid.")}) from None

    @classmethod
    def after(cls, item) -> "Cursor":
        return cls(created=item.created, id=item.pk)


def _before(rows: QuerySet, cursor: Cursor | None) -> QuerySet:
    if cursor is None:
        return rows
    # The redundant `created <= c` bounds the index range; the OR breaks ties.
    return rows.filter(created__lte=cursor.created).filter(
        Q(created__lt=cursor.created) | Q(created=cursor.created, id__lt=cursor.id)
    )


@dataclass
class Page:
    items: list
    next_cursor: Cursor | None

    @property
    def next(self) -> str | None:
        return self.next_cursor.encode() if self.next_cursor else None


def _page(rows: QuerySet, cursor: Cursor | None, size: int) -> Page:
    size = max(1, min(size, MAX_PAGE_SIZE))
    items = list(_before(rows, cursor).order_by("-created", "-id")[: size + 1])
    more = len(items) > size
    items = items[:size]
    return Page(
        items=items, next_cursor=Cursor.after(items[-1]) if more and items else None
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


def card_versions(ids: list[int]) -> dict[int, tuple]:
    """What a card's content depends on besides names, per post: the edit time, the
    reply count and, for a boost or relay, the original's edit time and removal.
    One light query (no model built)."""
    rows = Post.objects.filter(pk__in=ids).values_list(
        "id",
        "edited_at",
        "reply_count",
        "shared_id",
        "shared__edited_at",
        "shared__deleted_at",
        "shared__hidden_at",
    )
    versions = {}
    for pk, edited, replies, shared, *original in rows:
        versions[pk] = (edited, replies)
        if shared:  # the original's edit time, and when it was deleted or hidden
            versions[pk] += (original[0], original[1] or original[2])
    return versions


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


# --- Decorating a page ------------------------------------------------------------


_URL_SAMPLES = {"pk": 987654321, "public_id": "00000000-0000-4000-8000-00000000abcd"}


@functools.cache
def _url_pattern(name: str, kwarg: str) -> tuple[str, str]:
    sample = str(_URL_SAMPLES.get(kwarg, "zz-sample-slug-zz"))
    return reverse(name, kwargs={kwarg: sample}), sample


def _url(name: str, kwarg: str, value) -> str:
    """reverse() for the links of every card, without resolving each one anew."""
    pattern, sample = _url_pattern(name, kwarg)
    return pattern.replace(sample, str(value))


def decorate(posts: list[Post], user) -> list[Post]:
    """Attach reaction counts, the viewer's own reactions, images and links to each
    post and to the originals they share: two queries for the whole page."""
    everyone = _with_originals(posts)
    reactions = reaction_lists(list(everyone), user)
    for pk, post in everyone.items():
        post.reaction_list = reactions[pk]
    _attach_content(everyone)
    return posts


def decorate_content(posts: list[Post]) -> list[Post]:
    """What a card shows to every reader alike (images, links), attached to each
    post and to the originals they share: one query."""
    _attach_content(_with_originals(posts))
    return posts


def _attach_content(everyone: dict[int, Post]) -> None:
    if not everyone:
        return
    images: dict[int, list[PostImage]] = {}
    for image in PostImage.objects.filter(post_id__in=list(everyone)):
        images.setdefault(image.post_id, []).append(image)
    for pk, post in everyone.items():
        post.image_list = images.get(pk, [])
        post.url = _url("messaging:post", "pk", pk)
        post.author_url = _url("messaging:member", "public_id", post.author.public_id)
        post.unit_url = (
            _url("messaging:unit", "slug", post.unit.slug) if post.unit else ""
        )


def _with_originals(posts: list[Post]) -> dict[int, Post]:
    everyone = {post.pk: post for post in posts}
    for post in posts:
        if post.shared_id and post.shared is not None:
            everyone.setdefault(post.shared_id, post.shared)
    return everyone


def reaction_lists(ids: list[int], user) -> dict[int, list[tuple]]:
    """Per post: (kind, label, count, whether the viewer reacted so), for every kind
    of reaction. One query."""
    counts: dict[int, dict[str, int]] = {}
    mine: dict[int, set[str]] = {}
    user_id = user.pk if user.is_authenticated else None
    if ids:
        for row in (
            Reaction.objects.filter(post_id__in=ids)
            .values("post_id", "kind")
            .annotate(n=Count("id"), own=Count("id", filter=Q(user_id=user_id)))
        ):
            counts.setdefault(row["post_id"], {})[row["kind"]] = row["n"]
            if row["own"]:
                mine.setdefault(row["post_id"], set()).add(row["kind"])
    return {
        pk: [
            (kind, label, counts.get(pk, {}).get(kind, 0), kind in mine.get(pk, ()))
            for kind, label in Reaction.Kind.choices
        ]
        for pk in ids
    }


def post_for_broadcast(post_id: int) -> Post | None:
    """A post as a live event shows it to every viewer: no viewer-specific state."""
    # Not .first(): its ORDER BY made PostgreSQL plan this nine-table join the slow
    # way, 7 ms more before every live announcement.
    rows = Post.objects.select_related(*POST_RELATED, "audience_unit", "root")
    post = next(iter(rows.filter(pk=post_id)), None)
    if post is None or post.is_removed:
        return None
    post.tag_ids = list(post.hashtags.values_list("pk", flat=True))
    decorate([post], _Nobody())
    return post


class _Nobody:
    pk = None
    is_authenticated = False


def boosted_by(user, post: Post) -> bool:
    """Whether the member boosted this post (or the original a boost shares)."""
    original_id = post.shared_id if post.kind == Post.Kind.BOOST else post.pk
    return (
        Post.objects.filter(
            kind=Post.Kind.BOOST, author_id=user.pk, shared_id=original_id
        )
        .filter(deleted_at__isnull=True)
        .exists()
    )


# --- Threads ----------------------------------------------------------------------


@dataclass
class Thread:
    root: Post
    focus: Post
    replies: list[tuple[Post, int]]  # (reply, depth) in reading order
    truncated: bool
    # False when the viewer may not see the root (a former member's own old reply
    # to a cell-only post): the page shows a placeholder in its place.
    root_visible: bool = True


def _mark_rights(user, post: Post) -> None:
    """What the viewer may do with the post, for its page and the API (`access`)."""
    post.may_edit = access.can(user, "post.edit", post)
    post.may_delete = access.can(user, "post.delete", post)
    post.may_see_hidden = post.hidden_at is None or access.can(
        user, "post.see_hidden", post
    )


def thread_for(user, post: Post) -> Thread:
    """The conversation a post belongs to: its root and replies (as a tree, in reading
    order, nesting shown up to four levels), bounded."""
    root = post.root if post.root_id and post.root_id != post.pk else post
    root_visible = root is post or access.can(user, "post.view", root)
    rows = list(
        Post.objects.filter(root_id=root.pk, parent__isnull=False)
        .filter(access.content_filter(user, threads=True))
        .exclude(_silenced_authors(user))
        .select_related(*POST_RELATED)
        .order_by("created", "id")[: THREAD_LIMIT + 1]
    )
    truncated = len(rows) > THREAD_LIMIT
    rows = rows[:THREAD_LIMIT]
    decorate([root, *rows], user)
    for item in (root, *rows):
        _mark_rights(user, item)
    children: dict[int, list[Post]] = {}
    for reply in rows:
        children.setdefault(reply.parent_id, []).append(reply)
    ordered: list[tuple[Post, int]] = []

    def walk(parent_id: int, depth: int) -> None:
        for child in children.get(parent_id, []):
            ordered.append((child, min(depth, 4)))
            walk(child.pk, depth + 1)

    walk(root.pk, 1)
    return Thread(
        root=root,
        focus=post,
        replies=ordered,
        truncated=truncated,
        root_visible=root_visible,
    )


def get_post_or_404(user, pk) -> Post:
    """A post the user may see ("post.view"), or 404 (missing or not visible
    alike)."""
    rows = Post.objects.select_related(
        *POST_RELATED, "audience_unit", "hidden_by", "root"
    ).filter(access.content_filter(user, threads=True))
    try:
        post = rows.get(pk=pk)
    except (Post.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can(user, "post.view", post):
        raise Http404
    _mark_rights(user, post)
    return post


def people_to_write_to(user, query: str, *, limit: int = 20) -> list[User]:
    """Members whose name contains `query` and with whom `user` may start a
    conversation (they see each other, neither blocked the other), by name."""
    query = query.strip()
    if len(query) < 2 or not access.can(user, "conversation.start"):
        return []
    blocked = Relation.objects.filter(kind=Relation.Kind.BLOCK)
    return list(
        access.members_seeing_each_other(user)
        .filter(display_name__icontains=query)
        .exclude(pk=user.pk)
        .exclude(pk__in=blocked.filter(owner_id=user.pk).values("target_id"))
        .exclude(pk__in=blocked.filter(target_id=user.pk).values("owner_id"))
        .order_by("display_name", "pk")[:limit]
    )


# --- Conversations and unread counts ------------------------------------------


def conversations_for(
    user, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    """The user's conversations, latest activity first, with their unread counts
    (none for a former member: `conversation.list`)."""
    if not access.can(user, "conversation.list"):
        return Page(items=[], next_cursor=None)
    rows = (
        Participant.objects.filter(user_id=user.pk, left_at__isnull=True)
        .select_related("conversation")
        .order_by("-conversation__last_message_at", "-conversation_id")
    )
    if cursor is not None:
        rows = rows.filter(
            Q(conversation__last_message_at__lt=cursor.created)
            | Q(
                conversation__last_message_at=cursor.created,
                conversation_id__lt=cursor.id,
            )
        )
    size = max(1, min(size, MAX_PAGE_SIZE))
    participations = list(rows[: size + 1])
    more = len(participations) > size
    participations = participations[:size]
    conversations = [p.conversation for p in participations]
    people: dict[int, list] = {}
    for other in (
        Participant.objects.filter(conversation__in=conversations, left_at__isnull=True)
        .select_related("user")
        .order_by("joined_at", "id")
    ):
        people.setdefault(other.conversation_id, []).append(other.user)
    for participation, conversation in zip(participations, conversations, strict=True):
        conversation.unread = participation.unread
        conversation.people = people.get(conversation.pk, [])
        conversation.others = [u for u in conversation.people if u.pk != user.pk]
    next_cursor = None
    if more and conversations:
        last = conversations[-1]
        next_cursor = Cursor(created=last.last_message_at, id=last.pk)
    return Page(items=conversations, next_cursor=next_cursor)


def conversation_for_participant(user, pk) -> Conversation:
    """The conversation if the user is in it; 404 otherwise (exists or not)."""
    try:
        participant = Participant.objects.select_related("conversation").get(
            conversation_id=pk, user_id=user.pk, left_at__isnull=True
        )
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    conversation = participant.conversation
    conversation.viewer_participant = participant
    if not access.can(user, "conversation.read", conversation):
        raise Http404
    conversation.unread = participant.unread
    conversation.people = [
        p.user
        for p in Participant.objects.filter(
            conversation=conversation, left_at__isnull=True
        )
        .select_related("user")
        .order_by("joined_at", "id")
    ]
    conversation.others = [u for u in conversation.people if u.pk != user.pk]
    return conversation


def messages_page(
    conversation: Conversation, *, before_id: int | None = None, size: int = 50
) -> tuple[list[Message], int | None]:
    """Messages oldest first, the latest `size` before `before_id`; and the id to ask
    for the page before (None at the start)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    rows = Message.objects.filter(conversation=conversation).select_related("author")
    if before_id:
        rows = rows.filter(id__lt=before_id)
    items = list(rows.order_by("-id")[: size + 1])
    more = len(items) > size
    items = list(reversed(items[:size]))
    return items, (items[0].pk if more and items else None)


def messages_since(
    conversation: Conversation, since_id: int
) -> tuple[list[Message], bool]:
    rows = list(
        Message.objects.filter(conversation=conversation, id__gt=since_id)
        .select_related("author")
        .order_by("id")[: CATCH_UP_LIMIT + 1]
    )
    return rows[:CATCH_UP_LIMIT], len(rows) > CATCH_UP_LIMIT


def unread_counts(user_id: int) -> dict[str, int]:
    """Unread notifications and private messages, in one small indexed query."""
    notifications = (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    messages = (
        Participant.objects.filter(user_id=user_id, left_at__isnull=True, unread__gt=0)
        .order_by()
        .values("user_id")
        .annotate(n=Sum("unread"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user_id)
        .values_list(
            Subquery(notifications, output_field=IntegerField()),
            Subquery(messages, output_field=IntegerField()),
        )
        .first()
    ) or (0, 0)
    return {"notifications": row[0] or 0, "messages": row[1] or 0}


def notifications_page(
    user, *, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    rows = Notification.objects.filter(recipient_id=user.pk).select_related(
        "actor", "post", "post__root"
    )
    return _page(rows, cursor, size)
