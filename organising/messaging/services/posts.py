"""Messaging services: posts."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Audience, Group, Unit
from members.models import User
from organising import ratelimits
from organising.audit.services import audit_record

from .. import events
from ..images import MAX_IMAGES, image_clean
from ..models import (
    POST_MAX_LENGTH,
    Hashtag,
    Notification,
    Post,
    PostImage,
    Reaction,
    Relation,
    Report,
)
from .common import (
    DOUBLE_SUBMIT_WINDOW,
    MAX_MENTIONS,
    UNIT_AUDIENCES,
    _clean_body,
    _render,
    _silenced,
)
from .notifications import notification_create

# --- Posts --------------------------------------------------------------------------


def _check_audience(
    *, author: User, audience: str, unit: Unit | None, group: Group | None
) -> None:
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose an audience.")})
    if audience in UNIT_AUDIENCES and unit is None:
        raise ValidationError({"audience": _("Choose the unit this is for.")})
    if audience == Audience.GROUP and group is None:
        raise ValidationError({"audience": _("Choose the group this is for.")})
    if not access.can_address(author, audience, unit, group):
        raise PermissionDenied(_("You may not post to this audience."))


def _publication_unit(
    *, author: User, audience: str, unit: Unit | None, group: Group | None
) -> Unit | None:
    """The unit whose timeline shows the post: the audience's unit, or for a public or
    party-wide post the unit it is posted from (the author's cell unless they hold an
    office over the one they chose)."""
    if audience in UNIT_AUDIENCES:
        return unit
    if audience == Audience.GROUP:
        return None
    viewer = access.viewer_for(author)
    if unit is None:
        return viewer.home
    if not access.can_address(author, Audience.UNIT, unit):
        raise PermissionDenied(_("You may not post in this unit."))
    return unit


def _store_text(post: Post) -> tuple[list[str], list[Hashtag]]:
    rendered = _render(post.body)
    post.body_html = rendered.html
    tags = []
    for name in rendered.hashtags[:20]:
        tag, _created = Hashtag.objects.get_or_create(name=name[:60])
        tags.append(tag)
    return rendered.mentions, tags


def _notify_mentions(
    post: Post, names: list[str], *, already: Iterable[int] = ()
) -> None:
    """Notify the people `names` mention, up to MAX_MENTIONS notifications over the
    post's whole life (edits included), counted against the author's mention limit."""
    room = (
        MAX_MENTIONS
        - Notification.objects.filter(post=post, kind=Notification.Kind.MENTION).count()
    )
    if room <= 0 or not names:
        return
    skip = {post.author_id, *already}
    blockers = set(
        Relation.objects.filter(
            target_id=post.author_id, kind__in=[Relation.Kind.BLOCK, Relation.Kind.MUTE]
        ).values_list("owner_id", flat=True)
    )
    users = User.objects.filter(handle__name__in=names[:MAX_MENTIONS], is_active=True)
    recipients = [
        user
        for user in users
        if user.pk not in skip
        and user.pk not in blockers
        # a mention never leaks a post to someone outside its audience
        and access.in_audience(
            user, post.audience, post.audience_unit, post.audience_group
        )
    ][:room]
    ratelimits.charge("mention", member=post.author, cost=len(recipients))
    for user in recipients:
        notification_create(
            recipient=user, kind=Notification.Kind.MENTION, actor=post.author, post=post
        )


@transaction.atomic
def post_create(
    *,
    author: User,
    body: str,
    audience: str = "",
    audience_unit: Unit | None = None,
    audience_group: Group | None = None,
    unit: Unit | None = None,
    parent: Post | None = None,
    images: Sequence[UploadedFile] = (),
    image_alts: Sequence[str] = (),
) -> Post:
    """Publish a post, or a reply when `parent` is given (a reply has its thread's
    audience). A double submit within seconds returns the first post."""
    ratelimits.charge("post" if parent is None else "reply", member=author)
    body = _clean_body(body, max_length=POST_MAX_LENGTH, allow_empty=bool(images))
    if len(images) > MAX_IMAGES:
        raise ValidationError(
            {"images": _("At most %(n)d images.") % {"n": MAX_IMAGES}}
        )
    cleaned_images = [image_clean(upload) for upload in images]
    if parent is not None:
        if parent.deleted_at is not None:
            raise Http404
        if parent.hidden_at is not None:
            raise ValidationError(
                {"parent": _("This post is hidden: it takes no replies.")}
            )
        if not access.can(author, "post.view", parent):
            raise Http404
        if not access.can(author, "post.reply", parent):
            raise PermissionDenied(_("You may not reply here."))
        audience = parent.audience
        audience_unit, audience_group = parent.audience_unit, parent.audience_group
        unit = parent.unit
    else:
        _check_audience(
            author=author, audience=audience, unit=audience_unit, group=audience_group
        )
        if audience not in UNIT_AUDIENCES:
            audience_unit = None
        if audience != Audience.GROUP:
            audience_group = None
        unit = _publication_unit(
            author=author,
            audience=audience,
            unit=audience_unit or unit,
            group=audience_group,
        )
    recent = (
        Post.objects.filter(
            author=author,
            parent=parent,
            body=body,
            kind=Post.Kind.POST,
            deleted_at__isnull=True,
            hidden_at__isnull=True,  # with parent=None: the author timeline index
            created__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
        )
        .order_by("-created")
        .first()
    )
    if recent is not None and not cleaned_images:
        return recent
    post = Post(
        author=author,
        body=body,
        audience=audience,
        audience_unit=audience_unit,
        audience_group=audience_group,
        unit=unit,
        parent=parent,
    )
    mentions, tags = _store_text(post)
    if parent is not None:
        post.root_id = parent.root_id or parent.pk
    post.save()
    if post.root_id is None:
        Post.objects.filter(pk=post.pk).update(root_id=post.pk)
        post.root_id = post.pk
    if tags:
        post.hashtags.set(tags)
    for position, content in enumerate(cleaned_images):
        alt = image_alts[position] if position < len(image_alts) else ""
        PostImage.objects.create(
            post=post, image=content, alt=alt[:300], position=position
        )
    notified = []
    if parent is not None:
        Post.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
        if parent.author_id != author.pk and not _silenced(parent.author_id, author.pk):
            notification_create(
                recipient=parent.author,
                kind=Notification.Kind.REPLY,
                actor=author,
                post=post,
            )
            notified.append(parent.author_id)
    _notify_mentions(post, mentions, already=notified)
    _changed(post, "new")
    return post


def _changed(post: Post, action: str | None) -> None:
    """Stored pages showing the post are built again, and once the change commits
    open sockets hear of it ("new", "update", "remove"; None: pages only)."""
    events.post_changed(post, action)


@transaction.atomic
def post_edit(*, post: Post, by: User, body: str) -> Post:
    """The author rewrites a post within 15 minutes; it then shows "edited"."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.is_removed:
        raise Http404
    if not access.can(by, "post.edit", post):
        raise PermissionDenied(_("Only the author can edit a post."))
    if not post.is_editable_now:
        raise ValidationError({"body": _("A post can be edited for 15 minutes only.")})
    body = _clean_body(
        body, max_length=POST_MAX_LENGTH, allow_empty=post.images.exists()
    )
    if body == post.body:
        return post
    old_mentions = set(_render(post.body, with_hashtags=False).mentions)
    post.body = body
    mentions, tags = _store_text(post)
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    post.hashtags.set(tags)
    already = Notification.objects.filter(
        post=post, kind=Notification.Kind.MENTION
    ).values_list("recipient_id", flat=True)
    _notify_mentions(
        post, [m for m in mentions if m not in old_mentions], already=already
    )
    _changed(post, "update")
    return post


@transaction.atomic
def post_delete(*, post: Post, by: User) -> Post:
    """The author deletes a post; replies stay, under a "deleted" placeholder."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not access.can(by, "post.delete", post):
        raise PermissionDenied(_("Only the author can delete a post."))
    if post.deleted_at is not None:
        return post
    post.deleted_at = timezone.now()
    post.body, post.body_html = "", ""
    post.save(update_fields=["deleted_at", "body", "body_html"])
    for image in post.images.all():
        image.image.delete(save=False)
    post.images.all().delete()
    post.reactions.all().delete()
    if post.parent_id:
        Post.objects.filter(pk=post.parent_id, reply_count__gt=0).update(
            reply_count=F("reply_count") - 1
        )
    _changed(post, "remove")
    return post


@transaction.atomic
def post_hide(*, post: Post, by: User, reason: str) -> Post:
    """An officer of the post's unit hides it; the author is told why."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    access.require(by, "content.moderate", post.moderation_unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the post is hidden.")})
    if post.hidden_at is None:
        post.hidden_at, post.hidden_by, post.hidden_reason = (
            timezone.now(),
            by,
            reason[:300],
        )
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        Report.objects.filter(post=post, resolved_at__isnull=True).update(
            resolved_at=post.hidden_at, resolved_by=by
        )
        notification_create(
            recipient=post.author,
            kind=Notification.Kind.HIDDEN,
            actor=by,
            post=post,
            text=reason[:300],
        )
        audit_record(
            actor=by,
            action="post.hide",
            target=post,
            unit=post.moderation_unit,
            data={"reason": reason[:300]},
        )
        _changed(post, "remove")
    return post


@transaction.atomic
def post_unhide(*, post: Post, by: User) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    access.require(by, "content.moderate", post.moderation_unit)
    if post.hidden_at is not None:
        post.hidden_at, post.hidden_by, post.hidden_reason = None, None, ""
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit_record(
            actor=by, action="post.unhide", target=post, unit=post.moderation_unit
        )
        _changed(post, None)
    return post


@transaction.atomic
def post_react(*, post: Post, by: User, kind: str, on: bool = True) -> bool:
    """Add or take back a reaction (idempotent); True when the reaction is there."""
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": _("Unknown reaction.")})
    ratelimits.charge("reaction", member=by)
    if not access.can(by, "post.react", post):
        raise Http404
    if on:
        Reaction.objects.get_or_create(post=post, user=by, kind=kind)
    else:
        Reaction.objects.filter(post=post, user=by, kind=kind).delete()
    events.reaction_changed(post, by.pk)
    return on


@transaction.atomic
def post_relay(
    *,
    post: Post,
    by: User,
    audience: str,
    audience_unit: Unit,
    body: str = "",
) -> Post:
    """An officer relays a post from a unit below theirs to their own unit's audience;
    the relay shows the original author and unit."""
    original = post.shared if post.kind == Post.Kind.RELAY and post.shared_id else post
    if original.is_removed or original.parent_id is not None:
        raise ValidationError({"post": _("Only a published post can be relayed.")})
    if audience not in UNIT_AUDIENCES or audience_unit is None:
        raise ValidationError({"audience": _("Relay to a unit of yours.")})
    access.require(by, "content.relay", audience_unit)
    source = original.unit or original.moderation_unit
    if (
        source is None
        or not source.is_within(audience_unit)
        or source.pk == audience_unit.pk
    ):
        raise ValidationError(
            {"post": _("Only posts from units below yours can be relayed.")}
        )
    if not access.can(by, "post.view", original):
        raise Http404
    if audience_unit.pk not in {unit.pk for unit in access.relay_units(by, original)}:
        # An officers-only or group post would reach people it was never for.
        raise ValidationError(
            {"audience": _("This post cannot be relayed beyond its own audience.")}
        )
    body = _clean_body(body, max_length=POST_MAX_LENGTH, allow_empty=True)
    existing = Post.objects.filter(
        kind=Post.Kind.RELAY,
        shared=original,
        audience=audience,
        audience_unit=audience_unit,
        deleted_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    relay = Post(
        kind=Post.Kind.RELAY,
        author=by,
        shared=original,
        body=body,
        audience=audience,
        audience_unit=audience_unit,
        unit=audience_unit,
    )
    _mentions, tags = _store_text(relay)
    relay.save()
    Post.objects.filter(pk=relay.pk).update(root_id=relay.pk)
    relay.root_id = relay.pk
    if tags:
        relay.hashtags.set(tags)
    if original.author_id != by.pk:
        notification_create(
            recipient=original.author,
            kind=Notification.Kind.RELAY,
            actor=by,
            post=relay,
        )
    audit_record(
        actor=by,
        action="post.relay",
        target=relay,
        unit=audience_unit,
        data={"original": original.pk},
    )
    _changed(relay, "new")
    return relay


@transaction.atomic
def post_boost(*, post: Post, by: User, on: bool = True) -> Post | None:
    """Boost a post to its own audience: the member's followers who can already see it
    get it again in their home timeline. Idempotent; `on=False` takes it back."""
    original = post.shared if post.kind == Post.Kind.BOOST and post.shared_id else post
    if original.is_removed or not access.can(by, "post.view", original):
        raise Http404
    if original.parent_id is not None:
        raise ValidationError({"post": _("Replies cannot be boosted.")})
    if on and not access.can(by, "post.boost", original):
        raise PermissionDenied(_("You may not boost this post."))
    existing = Post.objects.filter(
        kind=Post.Kind.BOOST, author=by, shared=original, deleted_at__isnull=True
    ).first()
    if not on:
        if existing is not None:
            existing.deleted_at = timezone.now()
            existing.save(update_fields=["deleted_at"])
            _changed(existing, "remove")
        return None
    if existing is not None:
        return existing
    boost = Post.objects.create(
        kind=Post.Kind.BOOST,
        author=by,
        shared=original,
        audience=original.audience,
        audience_unit=original.audience_unit,
        audience_group=original.audience_group,
        unit=None,
    )
    Post.objects.filter(pk=boost.pk).update(root_id=boost.pk)
    boost.root_id = boost.pk
    _changed(boost, "new")
    return boost
