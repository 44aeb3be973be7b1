"""Messaging selectors: threads and permalinks."""

from dataclasses import dataclass

from django.http import Http404

from federation import access

from ..models import (
    Post,
)
from .cards import decorate
from .pages import POST_RELATED, THREAD_LIMIT
from .timelines import _silenced_authors

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
