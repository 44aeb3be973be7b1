"""Messaging services: what the others share."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from federation.models import Audience
from members.models import User

from ..models import (
    Handle,
    Relation,
)
from ..text import reject_markup, render_text

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


def _silenced(owner_id: int, target_id: int) -> bool:
    """Whether `owner` muted or blocked `target` (no notifications from them)."""
    return Relation.objects.filter(
        owner_id=owner_id,
        target_id=target_id,
        kind__in=[Relation.Kind.MUTE, Relation.Kind.BLOCK],
    ).exists()
