"""iCalendar: exports parse back (icalendar + recurring-ical-events) into the same
occurrences as the site, across daylight saving, with EXDATE and RECURRENCE-ID;
feeds answer 404 to a wrong or replaced token; imports report every event."""

from datetime import UTC, timedelta

import pytest
import recurring_ical_events
from django.urls import reverse
from icalendar import Calendar

from organising.agenda import ical, recurrence, services
from organising.agenda.models import Event

from .conftest import paris


def _site(event, start, end):
    event = Event.objects.prefetch_related("exceptions").get(pk=event.pk)
    return [
        (o.start.astimezone(UTC), o.end.astimezone(UTC))
        for o in recurrence.expand([event], start, end)
    ]


def _calendar(body: bytes, start, end):
    calendar = Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).between(start, end)
    return sorted(
        (v.decoded("dtstart").astimezone(UTC), v.decoded("dtend").astimezone(UTC))
        for v in found
    )


def test_round_trip_gives_the_same_occurrences_across_daylight_saving(
    make_event, cell_secretary
):
    # 2026: summer time ends on 25 October, starts again on 28 March 2027.
    event = make_event(
        starts_at=paris(2026, 10, 1, 19, 0),
        ends_at=paris(2026, 10, 1, 21, 0),
        rrule="FREQ=WEEKLY;BYDAY=TH;UNTIL=20270415T235959",
    )
    cancelled = paris(2026, 10, 29, 19, 0).astimezone(UTC)
    moved = paris(2027, 3, 25, 19, 0).astimezone(UTC)
    services.occurrence_cancel(event=event, by=cell_secretary, original_start=cancelled)
    services.occurrence_move(
        event=event,
        by=cell_secretary,
        original_start=moved,
        starts_at=paris(2027, 3, 30, 18, 30),
        ends_at=paris(2027, 3, 30, 20, 0),
    )
    event = Event.objects.prefetch_related("exceptions").get(pk=event.pk)
    body = ical.calendar_of([event], name="Test")
    assert b"RRULE:FREQ=WEEKLY" in body and b"EXDATE" in body
    assert b"RECURRENCE-ID;TZID=Europe/Paris:20270325T190000" in body
    assert b"BEGIN:VTIMEZONE" in body
    start, end = paris(2026, 9, 1), paris(2027, 6, 1)
    site = sorted(_site(event, start, end))
    assert _calendar(body, start, end) == site
    assert len(site) == 29 - 1  # 29 Thursdays, one cancelled (one moved)
    # Wall-clock 19:00 on both sides of the change: 17:00 UTC then 18:00 UTC.
    assert site[0][0].hour == 17 and site[5][0].hour == 18


def test_all_day_recurring_event_round_trips(make_event):
    event = make_event(
        all_day=True,
        starts_at=paris(2026, 12, 5),
        ends_at=paris(2026, 12, 5),
        rrule="FREQ=MONTHLY;COUNT=6",
    )
    event = Event.objects.prefetch_related("exceptions").get(pk=event.pk)
    body = ical.calendar_of([event], name="Test")
    assert b"DTSTART;VALUE=DATE:20261205" in body
    start, end = paris(2026, 11, 1), paris(2027, 8, 1)
    site = [
        (s.astimezone(start.tzinfo).date(), e.astimezone(start.tzinfo).date())
        for s, e in _site(event, start, end)
    ]
    found = recurring_ical_events.of(Calendar.from_ical(body)).between(start, end)
    exported = sorted((v.decoded("dtstart"), v.decoded("dtend")) for v in found)
    assert exported == site and len(site) == 6


def test_single_event_download(client, make_event):
    event = make_event(audience="public", place="Bourse du travail")
    response = client.get(reverse("agenda:event_ics", args=[event.public_id]))
    assert response["Content-Type"].startswith("text/calendar")
    vevent = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(vevent["summary"]) == event.title
    assert str(vevent["location"]) == "Bourse du travail"
    assert str(vevent["uid"]) == event.uid


def test_private_feed_holds_my_agenda_and_dies_when_regenerated(
    tree, member, client, make_event, make_member
):
    from django.utils import timezone

    soon = timezone.now() + timedelta(days=3)
    make_event(title="Ma réunion", starts_at=soon, ends_at=soon + timedelta(hours=2))
    token = services.feed_token_regenerate(user=member)
    url = reverse("agenda:private_feed", args=[token])
    response = client.get(url)
    assert response.status_code == 200
    assert b"Ma r\xc3\xa9union" in response.content
    assert response["Cache-Control"] == "private, no-store"
    services.feed_token_regenerate(user=member)
    assert client.get(url).status_code == 404
    assert client.get(reverse("agenda:private_feed", args=["nope"])).status_code == 404


def test_unit_feed_holds_only_public_events(tree, client, make_event):
    from django.utils import timezone

    soon = timezone.now() + timedelta(days=3)
    times = {"starts_at": soon, "ends_at": soon + timedelta(hours=1)}
    make_event(title="Public", audience="public", **times)
    make_event(title="Interne", audience="unit", **times)
    body = client.get(reverse("agenda:unit_feed", args=[tree.cell_a1x.slug])).content
    assert b"SUMMARY:Public" in body and b"Interne" not in body


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VEVENT
UID:one@example.org
SUMMARY:Permanence
DTSTART;TZID=Europe/Paris:20261207T180000
DTEND;TZID=Europe/Paris:20261207T200000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Paris:20261214T180000
END:VEVENT
BEGIN:VEVENT
UID:one@example.org
RECURRENCE-ID;TZID=Europe/Paris:20261221T180000
SUMMARY:Permanence
DTSTART;TZID=Europe/Paris:20261222T180000
DTEND;TZID=Europe/Paris:20261222T200000
END:VEVENT
BEGIN:VEVENT
UID:two@example.org
SUMMARY:Sans fin
DTSTART:20261208T180000Z
DTEND:20261208T190000Z
RRULE:FREQ=DAILY
END:VEVENT
BEGIN:VEVENT
UID:three@example.org
SUMMARY:À l'envers
DTSTART:20261208T180000Z
DTEND:20261208T170000Z
END:VEVENT
BEGIN:VEVENT
UID:four@example.org
SUMMARY:Journée
DTSTART;VALUE=DATE:20261209
END:VEVENT
END:VCALENDAR
"""


def test_import_reports_created_skipped_and_rejected(tree, cell_secretary):
    lines = ical.import_ics(unit=tree.cell_a1x, by=cell_secretary, data=ICS.encode())
    outcomes = {line.uid: (line.outcome, line.reason) for line in lines}
    assert outcomes["one@example.org"][0] == "created"
    assert outcomes["four@example.org"][0] == "created"
    assert outcomes["two@example.org"][0] == "rejected"
    assert "never ends" in outcomes["two@example.org"][1]
    assert outcomes["three@example.org"][0] == "rejected"
    assert "before the start" in outcomes["three@example.org"][1]
    event = Event.objects.prefetch_related("exceptions").get(uid="one@example.org")
    days = [
        o.start.astimezone(paris(2026, 1, 1).tzinfo).day
        for o in recurrence.expand([event], paris(2026, 12, 1), paris(2027, 1, 31))
    ]
    assert days == [7, 22, 28, 4]
    again = ical.import_ics(unit=tree.cell_a1x, by=cell_secretary, data=ICS.encode())
    assert {line.outcome for line in again if line.uid == "one@example.org"} == {
        "skipped"
    }
    assert Event.objects.filter(unit=tree.cell_a1x).count() == 2


def test_file_that_is_not_icalendar_is_refused_whole(tree, cell_secretary):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ical.import_ics(unit=tree.cell_a1x, by=cell_secretary, data=b"name,date\n")
    with pytest.raises(ValidationError):
        ical.import_ics(
            unit=tree.cell_a1x,
            by=cell_secretary,
            data=b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage",
        )
    assert not Event.objects.exists()


def test_file_of_ten_thousand_events_is_refused_whole(tree, cell_secretary):
    from django.core.exceptions import ValidationError

    events = "".join(
        f"BEGIN:VEVENT\nUID:{n}@x\nSUMMARY:E{n}\nDTSTART:20261208T180000Z\n"
        "DTEND:20261208T190000Z\nEND:VEVENT\n"
        for n in range(10_000)
    )
    data = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n{events}END:VCALENDAR\n"
    with pytest.raises(ValidationError) as error:
        ical.import_ics(unit=tree.cell_a1x, by=cell_secretary, data=data.encode())
    assert "10000" in str(error.value) or "10,000" in str(error.value)
    assert not Event.objects.exists()


def test_import_page_shows_the_report(tree, cell_secretary, client_as, member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("agenda:import", args=[tree.cell_a1x.slug])
    assert client_as(member).get(url).status_code == 404
    response = client_as(cell_secretary).post(
        url, {"file": SimpleUploadedFile("a.ics", ICS.encode(), "text/calendar")}
    )
    page = response.content.decode()
    assert "Permanence" in page and "never ends" in page
    response = client_as(cell_secretary).post(
        url, {"file": SimpleUploadedFile("a.csv", b"a,b", "text/csv")}
    )
    assert "not an iCalendar" in response.content.decode()


def test_feed_keeps_event_texts_by_version_so_a_change_shows_at_once(
    tree, member, client, make_event, cell_secretary
):
    from django.utils import timezone

    soon = timezone.now() + timedelta(days=3)
    event = make_event(title="Avant", starts_at=soon, ends_at=soon + timedelta(hours=1))
    token = services.feed_token_regenerate(user=member)
    url = reverse("agenda:private_feed", args=[token])
    first = client.get(url).content
    assert b"SUMMARY:Avant" in first
    assert client.get(url).content == first  # the second read from the kept texts
    services.event_edit(event=event, by=cell_secretary, title="Après")
    body = client.get(url).content
    assert b"SUMMARY:Apr" in body and b"Avant" not in body
    calendar = Calendar.from_ical(body)
    assert len(calendar.walk("VEVENT")) == 1 and calendar.walk("VTIMEZONE")


def test_feed_with_the_cache_down_is_the_same(
    tree, member, client, make_event, redis_down
):
    from django.utils import timezone

    soon = timezone.now() + timedelta(days=3)
    make_event(title="Sans cache", starts_at=soon, ends_at=soon + timedelta(hours=1))
    token = services.feed_token_regenerate(user=member)
    response = client.get(reverse("agenda:private_feed", args=[token]))
    assert response.status_code == 200 and b"SUMMARY:Sans cache" in response.content
