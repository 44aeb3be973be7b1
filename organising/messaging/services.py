"""Every write of the messaging capability and every rule it follows.

Who may see or do what is asked of `federation.access`; this module only applies it.
Live announcements and e-mails leave through `transaction.on_commit`.
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from federation import access
from federation.models import Audience, Group, Unit
from members.models import User
from organising import ratelimits
from organising.audit.services import audit_record

from . import events
from .images import MAX_IMAGES, image_clean
from .models import (
    CONVERSATION_MAX_PEOPLE,
    MESSAGE_MAX_LENGTH,
    POST_MAX_LENGTH,
    Conversation,
    Handle,
    Hashtag,
    Message,
    Notification,
    NotificationSettings,
    Participant,
    Post,
    PostImage,
    Reaction,
    Relation,
    Report,
)
from .text import reject_markup, render_text

MAX_MENTIONS = 10
DOUBLE_SUBMIT_WINDOW = timedelta(seconds=10)
UNIT_AUDIENCES = (Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS)


# --- Handles and text ---------------------------------------------------------------


def handle_for(user: User) -> Handle:
    """The member's @handle, made from their display name when first needed."""
    try:
        return user.handle
    except Handle.DoesNotExist:
        pass
    base = slugify(user.display_name or user.email.split("@")[0]).replace("-", ".")
    base = (base or "member")[:30].strip(".") or "member"
    name, n = base, 2
    while True:
        try:
            with transaction.atomic():
                handle = Handle.objects.create(user=user, name=name)
        except IntegrityError:
            existing = Handle.objects.filter(user=user).first()
            if existing is not None:
                return existing
            name, n = f"{base}{n}", n + 1
            continue
        user.handle = handle
        return handle


def _render(body: str, *, with_hashtags: bool = True):
    handles = {}

    def mention_url(name: str) -> str | None:
        if name not in handles:
            handles[name] = (
                Handle.objects.filter(name=name)
                .values_list("user__public_id", flat=True)
                .first()
            )
        public_id = handles[name]
        if public_id is None:
            return None
        return reverse("messaging:member", kwargs={"public_id": public_id})

    def hashtag_url(tag: str) -> str:
        return reverse("messaging:hashtag", kwargs={"name": tag})

    return render_text(
        body,
        mention_url=mention_url,
        hashtag_url=hashtag_url if with_hashtags else None,
    )


def _clean_body(body: str, *, max_length: int, allow_empty: bool = False) -> str:
    body = (body or "").strip()
    if not body and not allow_empty:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > max_length:
        raise ValidationError(
            {"body": _("At most %(n)d characters, please.") % {"n": max_length}}
        )
    reject_markup(body)
    return body


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


def _silenced(owner_id: int, target_id: int) -> bool:
    """Whether `owner` muted or blocked `target` (no notifications from them)."""
    return Relation.objects.filter(
        owner_id=owner_id,
        target_id=target_id,
        kind__in=[Relation.Kind.MUTE, Relation.Kind.BLOCK],
    ).exists()


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


def _moderators_of(unit: Unit | None) -> list[int]:
    """Who is told of a report: among those the policy lets moderate `unit`, the
    officers of the nearest unit up (those above see it on their reports page)."""
    if unit is None:
        return []
    by_path = access.office_holders("content.moderate", unit)
    if not by_path:
        return []
    return sorted(set(by_path[max(by_path, key=len)]))


@transaction.atomic
def post_report(*, post: Post, by: User, reason: str) -> Report:
    """A member who sees a post reports it to the officers of its unit (once)."""
    if not access.can(by, "post.report", post):
        raise Http404
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is wrong with this post.")})
    existing = Report.objects.filter(
        post=post, reporter=by, resolved_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    report = Report.objects.create(
        post=post, reporter=by, unit=post.moderation_unit, reason=reason[:500]
    )
    for user_id in _moderators_of(post.moderation_unit):
        if user_id != by.pk:
            notification_create(
                recipient=User(pk=user_id),
                kind=Notification.Kind.REPORT,
                actor=by,
                post=post,
                text=reason[:300],
            )
    return report


@transaction.atomic
def report_resolve(*, report: Report, by: User) -> Report:
    access.require(by, "content.moderate", report.unit)
    if report.resolved_at is None:
        report.resolved_at, report.resolved_by = timezone.now(), by
        report.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(actor=by, action="report.resolve", target=report, unit=report.unit)
    return report


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


# --- Follows, mutes, blocks -----------------------------------------------------------


@transaction.atomic
def relation_set(*, owner: User, target: User, kind: str, on: bool = True) -> bool:
    """Follow, mute or block another member, or stop; idempotent."""
    if kind not in Relation.Kind.values:
        raise ValidationError({"kind": _("Unknown relation.")})
    if owner.pk == target.pk:
        raise ValidationError({"member": _("That is you.")})
    if not access.can(owner, "member.view", target):
        raise Http404
    if on and kind == Relation.Kind.FOLLOW:
        blocked = Relation.objects.filter(
            kind=Relation.Kind.BLOCK, owner=target, target=owner
        ).exists()
        if blocked:
            raise PermissionDenied(_("This member does not accept your follow."))
    if on:
        Relation.objects.get_or_create(owner=owner, target=target, kind=kind)
        if kind == Relation.Kind.BLOCK:
            Relation.objects.filter(
                kind=Relation.Kind.FOLLOW,
                owner__in=[owner, target],
                target__in=[owner, target],
            ).delete()
    else:
        Relation.objects.filter(owner=owner, target=target, kind=kind).delete()
    for person in (owner, target):
        person.__dict__.pop("_silenced_ids", None)
        person.__dict__.pop("_blocker_ids", None)
    owner_id, target_id = owner.pk, target.pk
    events.relation_changed(owner_id, target_id)
    return on


# --- Notifications ----------------------------------------------------------------


def notification_create(
    *,
    recipient: User,
    kind: str,
    actor: User | None,
    post: Post | None = None,
    text: str = "",
) -> Notification | None:
    """Store a notification and update the recipient's badge when the change commits.
    A former member hears only of what happened to their own posts (a hidden post):
    they keep their own data, not news of others' (None then)."""
    if kind != Notification.Kind.HIDDEN and not access.is_current_member(recipient.pk):
        return None
    notification = Notification.objects.create(
        recipient_id=recipient.pk, kind=kind, actor=actor, post=post, text=text
    )
    events.counts_changed(recipient.pk)
    return notification


@transaction.atomic
def notifications_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications (or all) as read; the number marked."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    count = rows.update(read_at=timezone.now())
    if count:
        events.counts_changed(user.pk)
    return count


@transaction.atomic
def notification_settings_set(*, user: User, email: str) -> NotificationSettings:
    if email not in NotificationSettings.Email.values:
        raise ValidationError({"email": _("Choose how often to be e-mailed.")})
    settings_row, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email": email}
    )
    return settings_row


# --- Private conversations ---------------------------------------------------------


@transaction.atomic
def conversation_start(
    *, by: User, people: Sequence[User], body: str = "", title: str = ""
) -> Conversation:
    """A conversation with one member (there is only ever one per pair) or a group
    of up to 50 people; with a first message when `body` is given."""
    ratelimits.charge("conversation", member=by)
    others = {person.pk: person for person in people if person.pk != by.pk}
    if not others:
        raise ValidationError({"people": _("Choose who to write to.")})
    if len(others) + 1 > CONVERSATION_MAX_PEOPLE:
        raise ValidationError(
            {"people": _("At most %(n)d people.") % {"n": CONVERSATION_MAX_PEOPLE}}
        )
    if not access.can(by, "conversation.start"):
        raise PermissionDenied(_("Only members can start a conversation."))
    for person in others.values():
        if not access.can(by, "member.message", person):
            raise ValidationError(
                {"people": _("You cannot write to %(name)s.") % {"name": person}}
            )
    title = (title or "").strip()[:120]
    if len(others) == 1:
        other_id = next(iter(others))
        key = f"{min(by.pk, other_id)}:{max(by.pk, other_id)}"
        conversation, created = Conversation.objects.get_or_create(
            pair_key=key, defaults={"created_by": by}
        )
        for user_id in (by.pk, other_id):
            participant, _new = Participant.objects.get_or_create(
                conversation=conversation, user_id=user_id
            )
            if participant.left_at is not None and user_id == by.pk:
                participant.left_at = None
                participant.save(update_fields=["left_at"])
    else:
        conversation = Conversation.objects.create(
            created_by=by, is_group=True, title=title
        )
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user_id=uid)
                for uid in [by.pk, *others]
            ]
        )
    if body:
        message_send(conversation=conversation, by=by, body=body)
    return conversation


def _participant(conversation: Conversation, user: User, *, lock: bool = False):
    rows = Participant.objects.filter(
        conversation=conversation, user=user, left_at__isnull=True
    )
    if lock:
        rows = rows.select_for_update()
    participant = rows.first()
    if participant is None:
        raise Http404  # only participants know the conversation exists
    return participant


@transaction.atomic
def message_send(
    *, conversation: Conversation, by: User, body: str, client_key: str = ""
) -> Message:
    """Write in a conversation one is part of; a retried send with the same
    `client_key` is stored once. A blocked member cannot write to who blocked."""
    conversation.viewer_participant = _participant(conversation, by)
    if not access.can(by, "conversation.read", conversation):
        raise Http404  # a former member no longer reads their conversations
    ratelimits.charge("message", member=by)
    body = _clean_body(body, max_length=MESSAGE_MAX_LENGTH)
    client_key = (client_key or "")[:64]
    if client_key:
        existing = Message.objects.filter(
            conversation=conversation, author=by, client_key=client_key
        ).first()
        if existing is not None:
            return existing
    others = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .exclude(user=by)
        .values_list("user_id", flat=True)
    )
    blocked_by = set(
        Relation.objects.filter(
            kind=Relation.Kind.BLOCK, owner_id__in=others, target=by
        ).values_list("owner_id", flat=True)
    )
    if not conversation.is_group:
        if blocked_by:
            raise PermissionDenied(_("This member does not accept your messages."))
        # Leaving a one-to-one conversation archives it: a new message brings it back.
        Participant.objects.filter(
            conversation=conversation, left_at__isnull=False
        ).update(left_at=None)
        others = list(
            Participant.objects.filter(conversation=conversation)
            .exclude(user=by)
            .values_list("user_id", flat=True)
        )
    if not access.can(by, "conversation.write", conversation):
        raise PermissionDenied(_("Only members can write."))
    message = Message.objects.create(
        conversation=conversation,
        author=by,
        body=body,
        body_html=_render(body, with_hashtags=False).html,
        client_key=client_key,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created
    )
    Participant.objects.filter(
        conversation=conversation,
        left_at__isnull=True,
        # Former members no longer read it: no unread count for them either.
        user_id__in=access.current_member_ids(),
    ).exclude(user=by).exclude(user_id__in=blocked_by).update(unread=F("unread") + 1)
    Participant.objects.filter(conversation=conversation, user=by).update(
        unread=0, last_read_id=message.pk
    )
    message_id = message.pk
    events.message_sent(message_id)
    events.counts_changed(
        by.pk, *(user_id for user_id in others if user_id not in blocked_by)
    )
    return message


@transaction.atomic
def conversation_read(*, conversation: Conversation, by: User) -> Participant:
    """Everything in the conversation is read by `by`."""
    participant = _participant(conversation, by, lock=True)
    last_id = (
        Message.objects.filter(conversation=conversation)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    ) or 0
    if participant.unread or participant.last_read_id != last_id:
        participant.unread, participant.last_read_id = 0, last_id
        participant.save(update_fields=["unread", "last_read_id"])
        events.counts_changed(by.pk)
    return participant


@transaction.atomic
def conversation_leave(*, conversation: Conversation, by: User) -> None:
    """Leave a conversation: no more messages from it, and no more access to it."""
    participant = _participant(conversation, by, lock=True)
    participant.left_at, participant.unread = timezone.now(), 0
    participant.save(update_fields=["left_at", "unread"])
    events.counts_changed(by.pk)


@transaction.atomic
def conversation_add(
    *, conversation: Conversation, by: User, people: Sequence[User]
) -> int:
    """Add people to a group conversation (up to 50 in all); the number added."""
    _participant(conversation, by)
    # Parallel adds wait for each other here, so the cap counts everyone added.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    if not conversation.is_group:
        raise ValidationError(
            {"people": _("Start a group conversation to add people.")}
        )
    current = set(
        Participant.objects.filter(
            conversation=conversation, left_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    new = [person for person in people if person.pk not in current]
    if len(current) + len(new) > CONVERSATION_MAX_PEOPLE:
        raise ValidationError(
            {"people": _("At most %(n)d people.") % {"n": CONVERSATION_MAX_PEOPLE}}
        )
    for person in new:
        if not access.can(by, "member.message", person):
            raise ValidationError(
                {"people": _("You cannot write to %(name)s.") % {"name": person}}
            )
        Participant.objects.update_or_create(
            conversation=conversation,
            user=person,
            defaults={"left_at": None, "joined_at": timezone.now(), "unread": 0},
        )
    return len(new)


# --- E-mail of what stayed unread ------------------------------------------------

IMMEDIATE_EMAIL_DELAY = timedelta(minutes=2)
EMAIL_BATCH = 500


def notification_emails_send(*, frequency: str, now=None) -> int:
    """E-mail each member who chose `frequency` the notifications they have not read
    nor been e-mailed about (for "immediate", those older than two minutes: what was
    read on screen meanwhile is not sent). Safe to run twice; a failed e-mail is
    retried on the next run. The number of e-mails sent."""
    if frequency not in (
        NotificationSettings.Email.IMMEDIATE,
        NotificationSettings.Email.DAILY,
    ):
        raise ValueError(frequency)
    now = now or timezone.now()
    pending = Notification.objects.filter(
        read_at__isnull=True,
        emailed_at__isnull=True,
        # Only current members are e-mailed: a former member keeps only their data.
        recipient_id__in=access.current_member_ids(),
    )
    if frequency == NotificationSettings.Email.IMMEDIATE:
        pending = pending.filter(
            created__lte=now - IMMEDIATE_EMAIL_DELAY,
            recipient__notification_settings__email=frequency,
        )
    else:
        chose_other = NotificationSettings.objects.exclude(email=frequency).values(
            "user_id"
        )
        pending = pending.exclude(recipient_id__in=chose_other)
    recipient_ids = list(
        pending.filter(recipient__is_active=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()[:EMAIL_BATCH]
    )
    sent = 0
    for recipient_id in recipient_ids:
        sent += _email_digest(recipient_id=recipient_id, pending=pending, now=now)
    return sent


@transaction.atomic
def _email_digest(*, recipient_id: int, pending, now) -> int:
    notifications = list(
        pending.filter(recipient_id=recipient_id)
        .select_for_update(of=("self",))
        .select_related("actor")
        .order_by("created", "id")[:50]
    )
    if not notifications:
        return 0
    user = User.objects.get(pk=recipient_id)
    context = {
        "user": user,
        "notifications": notifications,
        "unread_messages": _unread_messages(recipient_id),
        "site_url": django_settings.SITE_URL,
    }
    subject = render_to_string("messaging/email/digest_subject.txt", context).strip()
    body = render_to_string("messaging/email/digest.txt", context)
    send_mail(subject, body, None, [user.email])
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        emailed_at=now
    )
    return 1


def _unread_messages(user_id: int) -> int:
    return (
        Participant.objects.filter(user_id=user_id, left_at__isnull=True).aggregate(
            n=Sum("unread")
        )["n"]
        or 0
    )
