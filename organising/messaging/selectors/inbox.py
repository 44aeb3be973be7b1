"""Messaging selectors: conversations, messages and notifications."""

from django.db.models import Count, IntegerField, Q, Subquery, Sum
from django.http import Http404

from federation import access
from members.models import User

from ..models import (
    Conversation,
    Message,
    Notification,
    Participant,
    Relation,
)
from .pages import CATCH_UP_LIMIT, MAX_PAGE_SIZE, PAGE_SIZE, Cursor, Page, _page


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
