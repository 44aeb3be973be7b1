"""Messaging services: notifications and their e-mails."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from members.models import User

from .. import events
from ..models import (
    Notification,
    NotificationSettings,
    Participant,
    Post,
)

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
