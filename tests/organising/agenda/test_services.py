"""Events: validation, recurrence across daylight saving, exceptions, the waiting
list, submissions up the tree, reminders sent once, change e-mails."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from organising.agenda import recurrence, services
from organising.agenda.models import Event, ReminderSent, Rsvp
from organising.audit.models import AuditEntry

from .conftest import paris


def _occurrences(event, start, end):
    event = Event.objects.prefetch_related("exceptions").get(pk=event.pk)
    return recurrence.expand([event], start, end)


def test_event_is_created_with_an_audit_row_and_sanitised_description(
    tree, cell_secretary, make_event
):
    event = make_event(description="Ordre du jour <script>alert(1)</script> <b>x</b>")
    assert event.unit == tree.cell_a1x
    assert event.audience == "unit_tree" and event.audience_unit == tree.cell_a1x
    assert "<script" not in event.description_html
    assert "<b>" not in event.description_html
    assert "Ordre du jour" in event.description_html
    assert AuditEntry.objects.filter(action="event.create", target_id=event.pk)


def test_end_before_start_is_refused_and_nothing_is_stored(make_event):
    with pytest.raises(ValidationError) as error:
        make_event(ends_at=paris(2026, 12, 10, 18, 0))
    assert "ends_at" in error.value.error_dict
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "does not parse"),
        ("nonsense", "does not parse"),
        ("FREQ=WEEKLY", "never ends"),
        ("FREQ=HOURLY;COUNT=3", "does not parse"),
        ("FREQ=DAILY;COUNT=5000", "more than"),
    ],
)
def test_bad_rrule_is_refused_with_a_clear_error(make_event, rule, message):
    with pytest.raises(ValidationError) as error:
        make_event(rrule=rule)
    assert message in " ".join(error.value.message_dict["rrule"])
    assert not Event.objects.exists()


def test_plain_member_may_not_create_in_their_cell(tree, member, make_event):
    with pytest.raises(PermissionDenied):
        make_event(agenda=tree.cell_a1x, by=member)


def test_weekly_meeting_keeps_its_wall_clock_time_across_daylight_saving(make_event):
    # Summer time ends on Sunday 25 October 2026 in Paris.
    event = make_event(
        starts_at=paris(2026, 10, 14, 19, 0),
        ends_at=paris(2026, 10, 14, 21, 0),
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    found = _occurrences(event, paris(2026, 10, 1), paris(2026, 11, 30))
    local = [o.start.astimezone(paris(2026, 1, 1).tzinfo) for o in found]
    assert [d.strftime("%d %H:%M") for d in local] == [
        "14 19:00",
        "21 19:00",
        "28 19:00",
        "04 19:00",
    ]
    # The UTC offsets differ: +02:00 before, +01:00 after.
    assert found[0].start.astimezone(UTC).hour == 17
    assert found[2].start.astimezone(UTC).hour == 18


def test_until_in_local_time_is_kept_in_utc(make_event):
    event = make_event(rrule="FREQ=WEEKLY;UNTIL=20261224")
    assert event.rrule.endswith("Z")
    found = _occurrences(event, paris(2026, 12, 1), paris(2027, 2, 1))
    assert len(found) == 3  # 10, 17, 24 December


def test_exceptions_cancel_or_move_one_occurrence(make_event, cell_secretary):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=4")
    second = paris(2026, 12, 17, 19, 0).astimezone(UTC)
    third = paris(2026, 12, 24, 19, 0).astimezone(UTC)
    services.occurrence_cancel(event=event, by=cell_secretary, original_start=second)
    services.occurrence_move(
        event=event,
        by=cell_secretary,
        original_start=third,
        starts_at=paris(2026, 12, 23, 18, 0),
        ends_at=paris(2026, 12, 23, 20, 0),
    )
    found = _occurrences(event, paris(2026, 12, 1), paris(2027, 1, 31))
    starts = [o.start.astimezone(paris(2026, 1, 1).tzinfo).day for o in found]
    assert starts == [10, 23, 31]
    moved = found[1]
    assert moved.moved and moved.original_start == third


def test_exception_of_a_date_the_rule_does_not_give_is_refused(
    make_event, cell_secretary
):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=4")
    with pytest.raises(ValidationError):
        services.occurrence_cancel(
            event=event,
            by=cell_secretary,
            original_start=paris(2026, 12, 11, 19, 0).astimezone(UTC),
        )


def test_status_follows_declared_transitions(make_event, cell_secretary):
    event = make_event()
    event = services.event_set_status(
        event=event, by=cell_secretary, status="postponed"
    )
    event = services.event_cancel(event=event, by=cell_secretary)
    assert event.status == "cancelled"
    with pytest.raises(ValidationError):
        services.event_set_status(event=event, by=cell_secretary, status="postponed")


def test_capacity_puts_going_on_a_waiting_list_that_moves_up(
    tree, make_member, make_event, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=2)
    first, second, third, fourth = (make_member(tree.cell_a1x) for _ in range(4))
    for person in (first, second, third, fourth):
        services.rsvp_answer(event=event, user=person, answer="going")
    waiting = Rsvp.objects.filter(event=event, waiting=True).order_by("answered_at")
    assert [r.user for r in waiting] == [third, fourth]
    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_answer(event=event, user=first, answer="not_going")
    assert not Rsvp.objects.get(user=third).waiting
    assert Rsvp.objects.get(user=fourth).waiting
    assert [m.to for m in mailoutbox] == [[third.email]]


def test_answering_twice_keeps_one_row(tree, member, make_event):
    event = make_event()
    services.rsvp_answer(event=event, user=member, answer="maybe")
    services.rsvp_answer(event=event, user=member, answer="going")
    services.rsvp_answer(event=event, user=member, answer="going")
    assert Rsvp.objects.filter(user=member).count() == 1
    assert Rsvp.objects.get(user=member).answer == "going"


def test_rsvp_to_an_invisible_event_is_404(tree, make_member, make_event):
    event = make_event(audience="unit")
    stranger = make_member(tree.cell_b1x)
    with pytest.raises(Http404):
        services.rsvp_answer(event=event, user=stranger, answer="going")
    assert not Rsvp.objects.exists()


def test_capacity_below_going_count_is_refused(
    tree, make_member, make_event, cell_secretary
):
    event = make_event(capacity=5)
    for _ in range(3):
        services.rsvp_answer(
            event=event, user=make_member(tree.cell_a1x), answer="going"
        )
    with pytest.raises(ValidationError) as error:
        services.event_edit(event=event, by=cell_secretary, capacity=2)
    assert "capacity" in error.value.error_dict
    assert Event.objects.get(pk=event.pk).capacity == 5


def test_answer_to_an_occurrence_the_rule_does_not_give_is_refused(member, make_event):
    event = make_event(rrule="FREQ=WEEKLY;COUNT=2")
    with pytest.raises(ValidationError):
        services.rsvp_answer(
            event=event,
            user=member,
            answer="going",
            occurrence_start=paris(2026, 12, 11, 19, 0),
        )


def test_submitted_event_is_published_to_the_section_tree(
    tree, make_member, make_event, cell_secretary, section_secretary
):
    event = make_event(audience="unit")
    sibling = make_member(tree.cell_a1y)
    from federation import access

    assert not access.can(sibling, "event.view", event)
    services.event_submit(event=event, by=cell_secretary)
    assert event.submitted_to == tree.section_a1
    with pytest.raises(PermissionDenied):
        services.event_publish(event=event, by=cell_secretary)
    services.event_publish(event=event, by=section_secretary)
    event.refresh_from_db()
    assert event.audience == "unit_tree" and event.audience_unit == tree.section_a1
    assert access.can(sibling, "event.view", event)


def test_reminders_are_sent_once_to_those_going(
    tree, make_member, make_event, mailoutbox
):
    event = make_event(
        starts_at=paris(2026, 12, 10, 19, 0), ends_at=paris(2026, 12, 10, 21, 0)
    )
    going, maybe = make_member(tree.cell_a1x), make_member(tree.cell_a1x)
    services.rsvp_answer(event=event, user=going, answer="going")
    services.rsvp_answer(event=event, user=maybe, answer="maybe")
    day_before = paris(2026, 12, 9, 20, 0)
    assert services.reminders_send(now=day_before - timedelta(days=2)) == 0
    assert services.reminders_send(now=day_before) == 1
    assert services.reminders_send(now=day_before + timedelta(hours=1)) == 0
    assert [m.to for m in mailoutbox] == [[going.email]]
    assert ReminderSent.objects.count() == 1


def test_change_of_time_emails_everyone_who_answered(
    tree,
    make_member,
    make_event,
    cell_secretary,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    event = make_event()
    people = [make_member(tree.cell_a1x) for _ in range(2)]
    services.rsvp_answer(event=event, user=people[0], answer="going")
    services.rsvp_answer(event=event, user=people[1], answer="not_going")
    with django_capture_on_commit_callbacks(execute=True):
        services.event_edit(event=event, by=cell_secretary, title="Nouveau titre")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.event_edit(
            event=event,
            by=cell_secretary,
            starts_at=paris(2026, 12, 11, 19, 0),
            ends_at=paris(2026, 12, 11, 21, 0),
        )
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)


def test_guest_answer_counts_once_confirmed(
    make_event, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(audience="public")
    with django_capture_on_commit_callbacks(execute=True):
        rsvp = services.rsvp_guest_request(
            event=event, name="Ana", email="ana@example.org"
        )
    assert not rsvp.counts
    link = mailoutbox[0].body.split("confirm/")[1].split("/")[0]
    services.rsvp_guest_confirm(token=link)
    rsvp.refresh_from_db()
    assert rsvp.counts and rsvp.answer == "going"
    with pytest.raises(ValidationError):
        services.rsvp_guest_confirm(token="wrong")


def test_guest_may_not_answer_a_party_event(make_event):
    event = make_event(audience="party")
    with pytest.raises(PermissionDenied):
        services.rsvp_guest_request(event=event, name="Ana", email="a@example.org")


def test_feed_token_is_stored_hashed_and_regenerating_forgets_the_old(member):
    old = services.feed_token_regenerate(user=member)
    assert services.feed_owner(old) == member
    new = services.feed_token_regenerate(user=member)
    assert services.feed_owner(old) is None
    assert services.feed_owner(new) == member
    from organising.agenda.models import FeedToken

    assert FeedToken.objects.get(user=member).token_hash != new


def test_all_day_event_spans_whole_days(make_event):
    event = make_event(
        all_day=True,
        starts_at=paris(2026, 12, 12, 10, 0),
        ends_at=paris(2026, 12, 12, 12, 0),
    )
    assert event.starts_at == paris(2026, 12, 12, 0, 0)
    assert event.ends_at == paris(2026, 12, 13, 0, 0)
    assert isinstance(event.first_start, datetime)


def test_more_places_move_the_waiting_list_up(
    tree, make_member, make_event, cell_secretary
):
    event = make_event(capacity=1)
    first, second = make_member(tree.cell_a1x), make_member(tree.cell_a1x)
    services.rsvp_answer(event=event, user=first, answer="going")
    services.rsvp_answer(event=event, user=second, answer="going")
    assert Rsvp.objects.get(user=second).waiting
    services.event_edit(event=event, by=cell_secretary, capacity=2)
    assert not Rsvp.objects.get(user=second).waiting
