"""Reads of the votes that need care: the votes a member may see (bounded lists),
the live turnout, the published receipts, the electorate for its organisers."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from federation import access

from .models import Ballot, Elector, Participation, Vote

LIST_LIMIT = 50
PAGE = 200


def _candidates(user) -> QuerySet[Vote]:
    """Votes the user may see, before the per-object rule (a superset: the audience
    filter, the votes they are an elector of, the drafts of units they run)."""
    if not user.is_authenticated:
        return Vote.objects.none()
    shown = Q(access.visible_filter(user)) & ~Q(status=Vote.Status.DRAFT)
    shown |= Q(pk__in=Elector.objects.filter(member_id=user.pk).values("vote_id"))
    shown |= Q(status=Vote.Status.DRAFT, unit__in=access.units_with_office(user))
    return Vote.objects.filter(shown).select_related(
        "unit", "group", "audience_unit", "audience_group"
    )


def votes_for(user, status: str, limit: int = LIST_LIMIT) -> list[Vote]:
    """The user's votes in one state: open (closing first), coming (drafts, for
    those who run them) or closed (latest first); at most `limit`."""
    order = {"open": "closes_at", "draft": "opens_at", "closed": "-closed_at"}[status]
    rows = _candidates(user).filter(status=status).order_by(order, "pk")[: limit * 2]
    return [v for v in rows if access.can(user, "vote.view", v)][:limit]


def voted_ids(user, votes) -> set[int]:
    """Which of `votes` the user's own ballot was cast in (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        Participation.objects.filter(
            member_id=user.pk, vote_id__in=[v.pk for v in votes]
        ).values_list("vote_id", flat=True)
    )


def turnout(vote: Vote) -> dict:
    ballots = Participation.objects.filter(vote=vote).count()
    size = vote.electorate_size
    return {
        "ballots": ballots,
        "electorate": size,
        "percent": round(100 * ballots / size, 1) if size else 0,
        "quorum_needed": vote.quorum_needed,
        "quorum_met": ballots >= vote.quorum_needed,
    }


def receipts_page(vote: Vote, after: str = "") -> list[Ballot]:
    """The published list of receipts with their ballots, by receipt (keyset)."""
    rows = Ballot.objects.filter(vote=vote).only("receipt", "mask", "ranking")
    if after:
        rows = rows.filter(receipt__gt=after)
    return list(rows.order_by("receipt")[:PAGE])


def electorate_page(vote: Vote, after: int = 0) -> list[dict]:
    """The electors with whether they took part (not how), by member id (keyset)."""
    rows = (
        Elector.objects.filter(vote=vote, member_id__gt=after)
        .order_by("member_id")
        .values(
            "member_id", "member__display_name", "unit__name", "standing", "weight"
        )[:PAGE]
    )
    rows = list(rows)
    voted = set(
        Participation.objects.filter(
            vote=vote, member_id__in=[r["member_id"] for r in rows]
        ).values_list("member_id", flat=True)
    )
    for row in rows:
        row["voted"] = row["member_id"] in voted
    return rows


def roll_call(vote: Vote, after: str = "") -> list[Ballot]:
    """A roll-call vote's ballots with their voters (by receipt, keyset)."""
    rows = Ballot.objects.filter(vote=vote, voter__isnull=False).select_related("voter")
    if after:
        rows = rows.filter(receipt__gt=after)
    return list(rows.order_by("receipt")[:PAGE])
