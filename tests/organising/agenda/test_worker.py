"""Reminders by a real Celery worker (a separate process on Redis and PostgreSQL):
two runs at once and a third after them e-mail each member going exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from organising.agenda import services
from organising.agenda.models import ReminderSent
from tests.celery_worker import celery_worker, skip_unless_postgres_and_redis


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_once_by_a_real_celery_worker(
    tree, make_member, make_event, tmp_path
):
    skip_unless_postgres_and_redis()
    from organising.agenda.tasks import reminders_send_task

    soon = timezone.now() + timedelta(hours=3)
    event = make_event(starts_at=soon, ends_at=soon + timedelta(hours=2))
    going = [make_member(tree.cell_a1x) for _ in range(3)]
    for person in going:
        services.rsvp_answer(event=event, user=person, answer="going")
    services.rsvp_answer(event=event, user=make_member(tree.cell_a1x), answer="maybe")

    with celery_worker(tmp_path) as worker:
        first = reminders_send_task.apply_async(queue=worker.queue)
        second = reminders_send_task.apply_async(queue=worker.queue)
        counts = [first.get(timeout=120), second.get(timeout=120)]
        third = reminders_send_task.apply_async(queue=worker.queue).get(timeout=60)
    assert sum(counts) == len(going), worker.log_tail()
    assert third == 0
    assert ReminderSent.objects.count() == len(going)
    assert worker.mail_recipients() == sorted(p.email for p in going)
