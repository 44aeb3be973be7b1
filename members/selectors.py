"""Reads about people that need care: bounded, keyset-paginated, scoped."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from federation.models import Unit
from organising.collation import collated

from .models import Application, Membership

PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    next_cursor: str | None


def unit_members(
    *, unit: Unit, query: str = "", status: str = "", after: str | None = None
) -> Page:
    """Members whose home cell is `unit` or below it, by name; `status` is adherent,
    sympathiser, former or empty (current members). Keyset-paginated on (name, id)."""
    in_tree = Q(unit__path__startswith=unit.path)
    if status == "former":
        still_member = Membership.objects.filter(
            user=OuterRef("user"), ended_on__isnull=True
        )
        rows = Membership.objects.filter(
            in_tree, end_reason=Membership.EndReason.LEFT
        ).exclude(Exists(still_member))
    else:
        rows = Membership.objects.current().filter(in_tree)
        if status:
            rows = rows.filter(status=status)
    if query:
        rows = rows.filter(
            Q(user__display_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(user__commune__icontains=query)
        )
    items, next_cursor = page_by_member_name(
        rows.select_related("user", "unit"), after=after
    )
    return Page(items=items, next_cursor=next_cursor)


def page_by_member_name(
    memberships: QuerySet[Membership], *, after: str | None, size: int = PAGE_SIZE
) -> tuple[list[Membership], str | None]:
    """One page of memberships ordered by member name, keyset-paginated on
    (name, id) in French collation: the `after` cursor is the previous page's last
    "name|id"."""
    rows = memberships.annotate(name_key=collated("user__display_name")).order_by(
        "name_key", "user_id"
    )
    if after:
        name, _sep, user_id = after.rpartition("|")
        if user_id.isdigit():
            rows = rows.filter(
                Q(name_key__gt=name) | Q(name_key=name, user_id__gt=int(user_id))
            )
    items = list(rows[: size + 1])
    if len(items) <= size:
        return items, None
    items = items[:size]
    return items, f"{items[-1].user.display_name}|{items[-1].user_id}"


def current_membership(public_id) -> Membership | None:
    """The current membership of the member with `public_id` (with user and unit)."""
    return (
        Membership.objects.current()
        .select_related("user", "unit")
        .filter(user__public_id=public_id)
        .first()
    )


def pending_applications(*, units: QuerySet[Unit]) -> QuerySet[Application]:
    return (
        Application.objects.filter(state=Application.State.PENDING, unit__in=units)
        .select_related("unit")
        .order_by("created_at")
    )


def membership_history(*, member) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=member)
        .select_related("unit")
        .order_by("-started_on", "-pk")
    )


def unit_members_for_export(*, unit: Unit) -> list[Membership]:
    return list(
        Membership.objects.current()
        .filter(unit__path__startswith=unit.path)
        .select_related("user", "unit")
        .order_by("unit__path", "user__display_name")
    )
