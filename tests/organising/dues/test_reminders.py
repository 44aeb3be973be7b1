"""Reminders: late members are e-mailed once per period, more firmly as periods add
up; treasurers get a monthly summary once. The last test has a real Celery worker
(a separate process, on Redis and PostgreSQL) run the job."""

import pytest

from members.models import Membership
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import Reminder, TreasurerSummary
from tests.celery_worker import celery_worker, skip_unless_postgres_and_redis

from .conftest import make_late, pay, this_month


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a job and what it left for after the commit (the e-mails)."""

    def call(job, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return job(**kwargs)

    return call


def reminder_day(months_ahead: int = 0):
    return P.add_months(this_month(), months_ahead).replace(day=15)


def test_late_member_is_reminded_once_per_period(
    schedule, member, treasurer, mailoutbox, run
):
    make_late(member, 1)
    pay(treasurer, treasurer, "treasurer-pays", 5000, paid_on=this_month())
    assert run(services.reminders_send, on=reminder_day()) >= 1
    assert run(services.reminders_send, on=reminder_day()) == 0
    to_member = [m for m in mailoutbox if m.to == [member.email]]
    assert len(to_member) == 1
    assert (
        "reminder" in to_member[0].subject.lower()
        or "rappel" in to_member[0].subject.lower()
    )
    assert "/dues/" in to_member[0].body
    assert not [m for m in mailoutbox if m.to == [treasurer.email]]  # up to date
    assert Reminder.objects.get(member=member).level == 1


def test_reminders_escalate_politely_with_the_periods_owed(
    schedule, member, mailoutbox, run
):
    make_late(member, 3)
    run(services.reminders_send, on=reminder_day())
    mail = next(m for m in mailoutbox if m.to == [member.email])
    assert Reminder.objects.get(member=member).level == 3
    assert "reduced rate or an exemption" in mail.body or "exonération" in mail.body


def test_a_new_period_brings_a_new_reminder(schedule, member, mailoutbox, run):
    make_late(member, 1)
    run(services.reminders_send, on=reminder_day())
    services.charges_issue(on=P.add_months(this_month(), 1))
    run(services.reminders_send, on=reminder_day(1))
    assert Reminder.objects.filter(member=member).count() == 2
    assert list(
        Reminder.objects.filter(member=member)
        .order_by("period")
        .values_list("level", flat=True)
    ) == [1, 2]


def test_no_reminder_within_the_grace_days_nor_to_exempt_members(
    schedule, member, treasurer, mailoutbox, settings, run
):
    settings.DUES_REMINDER_GRACE_DAYS = 7
    make_late(member, 1)
    assert run(services.reminders_send, on=this_month().replace(day=3)) == 0
    services.exemption_grant(
        member=member, by=treasurer, starts_on=this_month(), reason="hardship"
    )
    run(services.reminders_send, on=reminder_day())
    assert not Reminder.objects.filter(member=member).exists()


def test_treasurers_get_one_summary_a_month(
    schedule, treasurer, member, mailoutbox, run
):
    make_late(member, 1)
    run(services.treasurer_summaries_send, on=this_month())
    run(services.treasurer_summaries_send, on=this_month())
    mine = [m for m in mailoutbox if m.to == [treasurer.email]]
    assert len(mine) == 1
    assert TreasurerSummary.objects.filter(treasurer=treasurer).count() == 1
    assert "up to date" in mine[0].body or "à jour" in mine[0].body


# --- A real worker --------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_once_by_a_real_celery_worker(
    tree, schedule, make_member, tmp_path
):
    skip_unless_postgres_and_redis()
    from organising.dues.tasks import reminders_send_task

    late = [make_member(tree.cell_a1x) for _ in range(3)]
    up_to_date = make_member(tree.cell_a1y)
    # Only the current period is called for the others (they join this month).
    Membership.objects.exclude(user__in=late).update(started_on=this_month())
    for member in late:
        Membership.objects.filter(user=member).update(
            started_on=P.add_months(this_month(), -2)
        )
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))

    with celery_worker(tmp_path, DUES_REMINDER_GRACE_DAYS="0") as worker:
        # Two runs at once (two worker processes), then a third after them.
        first = reminders_send_task.apply_async(queue=worker.queue)
        second = reminders_send_task.apply_async(queue=worker.queue)
        counts = [first.get(timeout=120), second.get(timeout=120)]
        third = reminders_send_task.apply_async(queue=worker.queue).get(timeout=60)
    assert sum(counts) == len(late), worker.log_tail()
    assert third == 0
    assert Reminder.objects.filter(member__in=late).count() == len(late)
    assert not Reminder.objects.filter(member=up_to_date).exists()
    recipients = worker.mail_recipients()
    assert recipients == sorted(m.email for m in late)
