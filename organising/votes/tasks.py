"""Celery tasks of the votes: each loads rows and calls a service (safe twice)."""

from celery import shared_task

from . import services
from .models import Vote


@shared_task(name="organising.votes.tasks.votes_sweep_task")
def votes_sweep_task() -> dict:
    """Open the drafts whose time has come, close the votes whose time is up."""
    return services.votes_sweep()


@shared_task(name="organising.votes.tasks.vote_open_task")
def vote_open_task(vote_id: int) -> str:
    """Open one vote on time (queued with an eta; the sweep catches a lost one)."""
    vote = Vote.objects.filter(pk=vote_id).first()
    if vote is None or vote.status != Vote.Status.DRAFT:
        return vote.status if vote else "missing"
    now = services.timezone.now()
    if vote.opens_at > now:
        return "early"  # moved later since queued: the sweep opens it
    if vote.closes_at <= now:
        return "expired"  # never opened in time: stays a draft
    return services.vote_open(vote=vote).status


@shared_task(name="organising.votes.tasks.vote_close_task")
def vote_close_task(vote_id: int) -> str:
    """Close one vote on time (queued with an eta; the sweep catches a lost one)."""
    vote = Vote.objects.filter(pk=vote_id).first()
    if vote is None or vote.status != Vote.Status.OPEN:
        return vote.status if vote else "missing"
    if vote.closes_at > services.timezone.now():
        return "early"
    return services.vote_close(vote=vote).status
