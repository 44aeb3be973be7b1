"""Opening and closing on time by a real Celery worker (a separate process on Redis
and PostgreSQL): tasks queued for the vote's times, and two sweeps at once, change
each vote once."""

from datetime import timedelta

import pytest
from celery.result import allow_join_result
from django.utils import timezone

from organising.audit.models import AuditEntry
from organising.votes import services
from organising.votes.models import Vote
from tests.celery_worker import celery_worker, skip_unless_postgres_and_redis


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_opens_and_closes_the_vote_on_time(
    tree, make_member, make_vote, tmp_path
):
    skip_unless_postgres_and_redis()
    from organising.votes.tasks import (
        vote_close_task,
        vote_open_task,
        votes_sweep_task,
    )

    voters = [make_member(tree.cell_a1x) for _ in range(2)]
    now = timezone.now()
    vote = make_vote(
        opens_at=now + timedelta(seconds=3), closes_at=now + timedelta(seconds=25)
    )
    # allow_join_result: an earlier test of the suite may have left Celery's
    # "inside a task" flag set in this process; this one waits from outside.
    with celery_worker(tmp_path) as worker, allow_join_result():
        # The task for the opening time, queued twice (a retried publish), and a
        # sweep at the same moment: opened once.
        opening = [
            vote_open_task.apply_async(
                (vote.pk,), eta=vote.opens_at, queue=worker.queue
            )
            for _ in range(2)
        ]
        sweep = votes_sweep_task.apply_async(countdown=3.5, queue=worker.queue)
        answers = [result.get(timeout=60) for result in opening]
        sweep.get(timeout=60)
        vote.refresh_from_db()
        assert vote.status == Vote.Status.OPEN, worker.log_tail()
        assert vote.opened_by is None and vote.electorate_size == 3
        assert "open" in answers
        services.ballot_cast(vote=vote, by=voters[0], choices=[1])
        closing = [
            vote_close_task.apply_async(
                (vote.pk,), eta=vote.closes_at, queue=worker.queue
            ),
            votes_sweep_task.apply_async(
                eta=vote.closes_at + timedelta(seconds=0.5), queue=worker.queue
            ),
            votes_sweep_task.apply_async(
                eta=vote.closes_at + timedelta(seconds=0.5), queue=worker.queue
            ),
        ]
        for result in closing:
            result.get(timeout=60)
    vote.refresh_from_db()
    assert vote.status == Vote.Status.CLOSED, worker.log_tail()
    assert vote.closed_at >= vote.closes_at - timedelta(seconds=1)
    assert vote.result["ballots"] == 1 and vote.result["votes"] == [0, 1, 0]
    assert AuditEntry.objects.filter(action="vote.open", target_id=vote.pk).count() == 1
    assert (
        AuditEntry.objects.filter(action="vote.close", target_id=vote.pk).count() == 1
    )
