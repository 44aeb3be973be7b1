"""Reads about people that need care: bounded, keyset-paginated, scoped."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from federation.models import Unit

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
    rows = rows.select_related("user", "unit").order_by("user__display_name", "user_id")
    if after:
        name, _sep, user_id = after.rpartition("|")
        if user_id.isdigit():
            rows = rows.filter(
                Q(user__display_name__gt=name)
                | Q(user__display_name=name, user_id__gt=int(user_id))
            )
    items = list(rows[: PAGE_SIZE + 1])
    next_cursor = None
    if len(items) > PAGE_SIZE:
        items = items[:PAGE_SIZE]
        last = items[-1]
        next_cursor = f"{last.user.display_name}|{last.user_id}"
    return Page(items=items, next_cursor=next_cursor)


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
