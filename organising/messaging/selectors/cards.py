"""Messaging selectors: what a card shows."""

import functools

from django.db.models import Count, Q
from django.urls import reverse

from ..models import (
    Post,
    PostImage,
    Reaction,
)
from .pages import POST_RELATED

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
