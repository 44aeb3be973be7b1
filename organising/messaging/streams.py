"""Each stream of posts defined once: what it shows (its filter), who may follow it
(the policy's answer), which channel-layer groups carry it live and, for the home
timeline, which stamps a stored page of it depends on.

Selectors build timeline pages from the filters, the page store stamps and reads
what `Home.stamps` names, the live socket joins `channel_groups` and catches up with
`scope`, the announcer sends a post to `post_groups`. Live delivery of the home
timeline covers the MAX_LIVE_FOLLOWS members followed most recently (one channel
group each); the page, the API and a socket's catch-up cover every follow.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from federation import access
from federation.models import Audience, Group

from .models import Post, Relation

MAX_LIVE_FOLLOWS = 500
NAMES = {"home", "unit", "group", "public", "tag", "author", "thread", "conversation"}
PUBLIC_GROUP = "posts.public"
NOT_BOOSTS = ~Q(kind=Post.Kind.BOOST)


def unit_group(unit_id: int) -> str:
    return f"posts.unit.{unit_id}"


def group_group(group_id: int) -> str:
    return f"posts.group.{group_id}"


def author_group(author_id: int) -> str:
    return f"posts.author.{author_id}"


def tag_group(hashtag_id: int) -> str:
    return f"posts.tag.{hashtag_id}"


def thread_group(root_id: int) -> str:
    return f"posts.thread.{root_id}"


# --- What each stream shows --------------------------------------------------------


def unit_scope(unit_id: int) -> Q:
    return Q(unit_id=unit_id)


def group_scope(group_id: int) -> Q:
    return Q(audience_group_id=group_id) & NOT_BOOSTS


def public_scope() -> Q:
    return Q(audience=Audience.PUBLIC) & NOT_BOOSTS


def tag_scope(**hashtag) -> Q:
    """By the hashtag's id (sockets) or name (pages)."""
    return Q(**{f"hashtags__{field}": value for field, value in hashtag.items()}) & (
        NOT_BOOSTS
    )


def author_scope(author_id: int) -> Q:
    return Q(author_id=author_id)


@dataclass(frozen=True)
class Home:
    """The home timeline: posts published in the viewer's home cell and each unit
    above it, in each of their groups, and by the members they follow (their boosts
    included) and themselves."""

    user_id: int
    unit_ids: list[int]
    group_ids: list[int]
    followed: QuerySet  # ids of the members followed, as a subquery

    @classmethod
    def of(cls, user) -> "Home":
        viewer = access.viewer_for(user)
        return cls(
            user_id=user.pk,
            unit_ids=sorted(viewer.home_chain_ids),
            group_ids=sorted(viewer.group_ids),
            followed=Relation.objects.filter(
                owner_id=user.pk, kind=Relation.Kind.FOLLOW
            ).values_list("target_id", flat=True),
        )

    def branches(self) -> list[Q]:
        """One part per source, merged by the timeline query."""
        branches = [unit_scope(pk) for pk in self.unit_ids]
        branches += [group_scope(pk) for pk in self.group_ids]
        # Two branches, not one OR: alone, the IN becomes a semi-join that walks the
        # (author, created, id) index of each followed member.
        branches += [Q(author_id__in=self.followed), author_scope(self.user_id)]
        return branches

    def scope(self) -> Q:
        """As one condition (catching up, where few rows match)."""
        scope = Q()
        for branch in self.branches():
            scope |= branch
        return scope

    def stamps(self) -> list[str]:
        """The page store's stamps of the sources (`pagecache`), and of the names
        every home page shows (the viewer's, their units' and groups')."""
        return sorted(
            [f"u{pk}" for pk in self.unit_ids]
            + [f"g{pk}" for pk in self.group_ids]
            + [f"a{pk}" for pk in {self.user_id, *self.followed}]
            + [f"n:u{pk}" for pk in self.unit_ids]
            + [f"n:g{pk}" for pk in self.group_ids]
        ) + [f"m{self.user_id}", f"n:a{self.user_id}"]

    def channel_groups(self) -> list[str]:
        follows = self.followed.order_by("-created")[:MAX_LIVE_FOLLOWS]
        groups = [unit_group(pk) for pk in self.unit_ids]
        groups += [group_group(pk) for pk in self.group_ids]
        return groups + [author_group(pk) for pk in [self.user_id, *follows]]


# --- Live: what a socket joins and catches up on ------------------------------------


def channel_groups(stream: str, ref: int | None, user) -> list[str] | None:
    """The channel-layer groups of a stream; None when `user` may not follow it
    (conversations travel through the user's own group: `consumers`)."""
    if stream == "home":
        return Home.of(user).channel_groups()
    if stream == "public":
        return [PUBLIC_GROUP]
    if ref is None:
        return None
    if stream == "unit":
        return [unit_group(ref)]
    if stream == "group":
        group = Group.objects.filter(pk=ref).first()
        if group is None or not access.can(user, "group.timeline.view", group):
            return None
        return [group_group(ref)]
    if stream == "tag":
        return [tag_group(ref)]
    if stream == "author":
        return [author_group(ref)]
    if stream == "thread":
        visible = Post.objects.filter(pk=ref).filter(access.content_filter(user))
        return [thread_group(ref)] if visible.exists() else None
    return None


def scope(stream: str, ref: int | None, user) -> Q:
    """What a timeline stream shows (a socket catching up)."""
    if stream == "home":
        return Home.of(user).scope()
    if stream == "public":
        return public_scope()
    return {
        "unit": unit_scope,
        "group": group_scope,
        "tag": lambda pk: tag_scope(id=pk),
        "author": author_scope,
    }[stream](ref)


def post_groups(post) -> list[str]:
    """The groups whose sockets show a stream or thread the post belongs to (the
    announcer's side of `channel_groups`)."""
    if post.parent_id is not None:
        return [thread_group(post.root_id)]
    groups = [author_group(post.author_id)]
    if post.kind != Post.Kind.BOOST:
        if post.unit_id:
            groups.append(unit_group(post.unit_id))
        if post.audience_group_id:
            groups.append(group_group(post.audience_group_id))
        if post.audience == Audience.PUBLIC:
            groups.append(PUBLIC_GROUP)
        groups.extend(tag_group(tag_id) for tag_id in post.tag_ids)
    return groups
