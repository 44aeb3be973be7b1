"""Reads of petitions that need care: the public list of signers, the officers'
list of signatures (keyset pages), and the figures that show a surge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import Petition, Signature

PUBLIC_SIGNERS = 30
OFFICERS_PAGE = 100
# A surge: the last hour's requests are this many times the hourly mean of the
# previous day, and at least SURGE_FLOOR.
SURGE_FACTOR = 5
SURGE_FLOOR = 50


def public_signers(petition: Petition) -> list[tuple[str, str]]:
    """The latest confirmed signers who agreed to be shown: first name, commune."""
    return list(
        Signature.objects.filter(
            petition=petition, confirmed_at__isnull=False, show_publicly=True
        )
        .order_by("-confirmed_at", "-id")
        .values_list("first_name", "commune")[:PUBLIC_SIGNERS]
    )


def confirmed_signatures(petition: Petition, *, before: tuple | None = None):
    """One page of confirmed signatures, newest first; `before` is the last row's
    (confirmed_at, id) of the previous page."""
    rows = Signature.objects.filter(
        petition=petition, confirmed_at__isnull=False
    ).select_related("routed_to")
    if before is not None:
        moment, pk = before
        rows = rows.filter(
            Q(confirmed_at__lt=moment) | Q(confirmed_at=moment, id__lt=pk)
        )
    return rows.order_by("-confirmed_at", "-id")


@dataclass(frozen=True)
class Activity:
    """What the petition's officers see of the last hours."""

    requested_last_hour: int
    confirmed_last_hour: int
    unconfirmed: int
    hourly_mean_before: float
    surge: bool
    top_domains: list[tuple[str, int]]  # unconfirmed in the last hour, by domain
    top_networks: list[tuple[str, int]]  # requests in the last hour, by network


def activity(petition: Petition, *, now: datetime | None = None) -> Activity:
    now = now or timezone.now()
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(hours=25)
    rows = Signature.objects.filter(petition=petition)
    figures = rows.aggregate(
        requested=Count("id", filter=Q(created_at__gte=hour_ago)),
        confirmed=Count("id", filter=Q(confirmed_at__gte=hour_ago)),
        unconfirmed=Count("id", filter=Q(confirmed_at__isnull=True)),
        before=Count("id", filter=Q(created_at__gte=day_ago, created_at__lt=hour_ago)),
    )
    mean = figures["before"] / 24
    last = figures["requested"]
    recent = rows.filter(created_at__gte=hour_ago)
    domains = list(
        recent.filter(confirmed_at__isnull=True)
        .values_list("email_domain")
        .annotate(n=Count("id"))
        .order_by("-n", "email_domain")[:5]
    )
    networks = list(
        recent.exclude(network="")
        .values_list("network")
        .annotate(n=Count("id"))
        .order_by("-n", "network")[:5]
    )
    return Activity(
        requested_last_hour=last,
        confirmed_last_hour=figures["confirmed"],
        unconfirmed=figures["unconfirmed"],
        hourly_mean_before=round(mean, 1),
        surge=last >= SURGE_FLOOR and last > SURGE_FACTOR * mean,
        top_domains=domains,
        top_networks=networks,
    )
