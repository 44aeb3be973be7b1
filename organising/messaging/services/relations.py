"""Messaging services: follows, mutes and blocks."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from federation import access
from members.models import User

from .. import events
from ..models import (
    Relation,
)

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
