"""Reminders at the time each member chooses: by default the day before, or two
hours before, or never (a preference), and per answer; each sent once."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from organising.agenda import services
from organising.agenda.models import AgendaPreference, Rsvp

from .conftest import paris

START = paris(2026, 12, 10, 19)


@pytest.fixture
def meeting(make_event):
    return make_event(
        title="Réunion", starts_at=START, ends_at=START + timedelta(hours=2)
    )


def going(event, user, reminder=""):
    rsvp = services.rsvp_answer(event=event, user=user, answer="going")
    if reminder:
        services.rsvp_reminder_set(rsvp=rsvp, by=user, reminder=reminder)
    return rsvp


def reminded(at) -> list[str]:
    mail.outbox.clear()
    services.reminders_send(now=at)
    return sorted(address for message in mail.outbox for address in message.to)


def test_each_member_is_reminded_when_they_chose(meeting, tree, make_member):
    default = make_member(tree.cell_a1x, email="default@example.org")
    early = make_member(tree.cell_a1x, email="two-hours@example.org")
    never = make_member(tree.cell_a1x, email="never@example.org")
    override = make_member(tree.cell_a1x, email="override@example.org")
    services.reminder_preference_set(user=early, reminder="2h")
    services.reminder_preference_set(user=never, reminder="none")
    services.reminder_preference_set(user=override, reminder="none")
    for person in (default, early, never):
        going(meeting, person)
    going(meeting, override, reminder="2h")  # the answer's choice wins

    assert reminded(START - timedelta(hours=25)) == []
    assert reminded(START - timedelta(hours=20)) == ["default@example.org"]
    assert reminded(START - timedelta(hours=3)) == []
    assert reminded(START - timedelta(minutes=110)) == [
        "override@example.org",
        "two-hours@example.org",
    ]
    assert reminded(START - timedelta(minutes=30)) == []  # once each; never: never


def test_an_answer_can_say_never_or_follow_the_settings(meeting, member):
    services.reminder_preference_set(user=member, reminder="2h")
    rsvp = going(meeting, member, reminder="none")
    assert reminded(START - timedelta(hours=1)) == []
    services.rsvp_reminder_set(rsvp=rsvp, by=member, reminder="")  # my settings
    assert reminded(START - timedelta(hours=1)) == [member.email]


def test_someone_elses_answer_cannot_be_changed(meeting, member, tree, make_member):
    rsvp = going(meeting, member)
    from django.http import Http404

    with pytest.raises(Http404):
        services.rsvp_reminder_set(
            rsvp=rsvp, by=make_member(tree.cell_a1x), reminder="none"
        )


def test_the_settings_page_and_the_event_page_forms(meeting, member, client_as):
    client = client_as(member)
    page = client.get(reverse("agenda:reminders"))
    assert page.status_code == 200
    day_input = re.search(r'<input[^>]*value="1d"[^>]*>', page.content.decode())
    assert day_input and "checked" in day_input.group(0)  # a day, by default
    bad = client.post(reverse("agenda:reminders"), {"reminder": "3y"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert not AgendaPreference.objects.filter(user=member).exists()
    client.post(reverse("agenda:reminders"), {"reminder": "2h"})
    assert AgendaPreference.objects.get(user=member).reminder == "2h"

    going(meeting, member)
    event_page = client.get(meeting.get_absolute_url()).content.decode()
    assert reverse("agenda:rsvp_reminder", args=[meeting.public_id]) in event_page
    client.post(
        reverse("agenda:rsvp_reminder", args=[meeting.public_id]),
        {"reminder": "none", "occurrence": "20261210T180000Z"},
    )
    assert Rsvp.objects.get(user=member).reminder == "none"
