"""What the dues pages and the dues API share: fetching through the policy module
and answering with a file."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from federation import access
from federation.models import Unit
from members.models import Membership
from members.services import personal_data_access_record

from .. import services
from ..models import Receipt


def unit_for(request, action: str, slug: str) -> Unit:
    """The unit if the user may do `action` there (`access.refusal`: 404 unseen,
    403 seen but not allowed)."""
    return access.get_for_action_or_404(request.user, action, Unit, slug=slug)


def kept_or_404(
    request, queryset, *, action: str = "dues.manage", via: str = "unit", **lookup
):
    """The object (of a queryset or a model) matching `lookup` if the user may do
    `action` in the unit it belongs to (`via`, a relation path such as
    "batch__unit"); 404 otherwise, so that a treasurer elsewhere cannot tell
    whether it exists."""
    if not isinstance(queryset, QuerySet):
        queryset = queryset._default_manager.all()
    found = get_object_or_404(queryset.select_related(via), **lookup)
    unit = found
    for name in via.split("__"):
        unit = getattr(unit, name)
    if not access.can(request.user, action, unit):
        raise Http404
    return found


def membership_or_404(request, action: str, public_id) -> Membership:
    """The membership whose unit keeps the dues of the member with `public_id` (a
    former member's last one: their arrears are recorded there), if the user may
    do `action` there; 404 otherwise."""
    return access.dues_membership_or_404(request.user, action, public_id)


def record_bulk_access(request, unit: Unit, *, kind: str, members: Iterable) -> None:
    """Members' personal data shown ("view") or handed out ("export") in bulk: the
    audit trail says who, where and how many members (`members`: their ids, each
    counted once). Nothing is recorded when the list is empty."""
    count = len({member for member in members if member is not None})
    if count:
        personal_data_access_record(by=request.user, unit=unit, kind=kind, count=count)


def error_text(error: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one sentence for a flash message."""
    return " ".join(getattr(error, "messages", None) or [str(error)])


def attachment(content, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def receipt_response(receipt: Receipt) -> HttpResponse:
    return attachment(
        services.receipt_pdf(receipt),
        content_type="application/pdf",
        filename=f"recu-{receipt.label}.pdf",
    )
