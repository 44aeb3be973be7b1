"""Messaging services: private conversations."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from members.models import User
from organising import ratelimits

from .. import events
from ..models import (
    CONVERSATION_MAX_PEOPLE,
    MESSAGE_MAX_LENGTH,
    Conversation,
    Message,
    Participant,
    Relation,
)
from .common import _clean_body, _render

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
