"""The agenda's API: events in a range with filters, create, edit, cancel,
occurrences expanded, answers; errors as 400 naming the field, invisible as 404;
every endpoint in the OpenAPI schema."""

import pytest
from django.urls import reverse

from organising.agenda.models import Event, Rsvp

from .conftest import paris

RANGE = "?from=2026-12-01&to=2027-01-01"


@pytest.fixture
def weekly(make_event):
    return make_event(title="Réunion hebdo", rrule="FREQ=WEEKLY;COUNT=10")


def test_events_in_a_range_with_filters(member, api_as, weekly, make_event):
    make_event(title="Formation", kind="training")
    api = api_as(member)
    body = api.get(reverse("api-events") + RANGE).json()
    assert {e["title"] for e in body["results"]} == {"Réunion hebdo", "Formation"}
    body = api.get(reverse("api-events") + RANGE + "&kind=training").json()
    assert [e["title"] for e in body["results"]] == ["Formation"]
    assert api.get(reverse("api-events") + "?from=2030-01-01").json()["results"] == []


def test_occurrences_are_expanded_with_my_answer(member, api_as, weekly):
    api = api_as(member)
    items = api.get(reverse("api-occurrences") + RANGE).json()
    assert len(items) == 4  # the Thursdays of December from the 10th
    key = items[1]["key"]
    response = api.post(
        reverse("api-event-rsvp", args=[weekly.public_id]),
        {"answer": "going", "occurrence": key},
        format="json",
    )
    assert response.status_code == 200 and response.json()["answer"] == "going"
    items = api.get(reverse("api-occurrences") + RANGE).json()
    assert items[1]["my_answer"] == "going" and items[1]["counts"]["going"] == 1
    assert items[0]["my_answer"] is None


def test_create_edit_cancel(
    tree, cell_secretary, api_as, member, mailoutbox, django_capture_on_commit_callbacks
):
    api = api_as(cell_secretary)
    response = api.post(
        reverse("api-events"),
        {
            "unit": tree.cell_a1x.slug,
            "title": "AG",
            "starts_at": "2026-12-15T19:00:00+01:00",
            "ends_at": "2026-12-15T21:00:00+01:00",
            "capacity": 30,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    public_id = response.json()["id"]
    api_as(member).post(
        reverse("api-event-rsvp", args=[public_id]), {"answer": "going"}, format="json"
    )
    response = api.patch(
        reverse("api-event", args=[public_id]), {"place": "Salle B"}, format="json"
    )
    assert response.status_code == 200 and response.json()["place"] == "Salle B"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-event-cancel", args=[public_id]))
    assert response.json()["status"] == "cancelled"
    assert member.email in [m.to[0] for m in mailoutbox]
    attendees = api.get(reverse("api-event-rsvp", args=[public_id])).json()
    assert [a["email"] for a in attendees] == [member.email]
    assert (
        api_as(member).get(reverse("api-event-rsvp", args=[public_id])).status_code
        == 404  # the attendees are unseen without running the agenda
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": "2026-12-15T18:00:00+01:00"}, "ends_at"),
        ({"rrule": "FREQ=WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=SOMETIMES;COUNT=2"}, "rrule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_input_is_400_naming_the_field(tree, cell_secretary, api_as, fields, field):
    data = {
        "unit": tree.cell_a1x.slug,
        "title": "AG",
        "starts_at": "2026-12-15T19:00:00+01:00",
        "ends_at": "2026-12-15T21:00:00+01:00",
        **fields,
    }
    response = api_as(cell_secretary).post(reverse("api-events"), data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Event.objects.exists()


def test_capacity_below_going_is_400(
    tree, make_member, cell_secretary, api_as, make_event
):
    event = make_event(capacity=3)
    for _ in range(2):
        api_as(make_member(tree.cell_a1x)).post(
            reverse("api-event-rsvp", args=[event.public_id]),
            {"answer": "going"},
            format="json",
        )
    response = api_as(cell_secretary).patch(
        reverse("api-event", args=[event.public_id]), {"capacity": 1}, format="json"
    )
    assert response.status_code == 400 and "capacity" in response.json()


def test_invisible_event_is_404_and_stores_nothing(
    tree, make_member, api_as, make_event
):
    event = make_event(audience="unit")
    stranger = api_as(make_member(tree.cell_b1x))
    assert stranger.get(reverse("api-event", args=[event.public_id])).status_code == 404
    response = stranger.post(
        reverse("api-event-rsvp", args=[event.public_id]),
        {"answer": "going"},
        format="json",
    )
    assert response.status_code == 404
    assert not Rsvp.objects.exists()


def test_plain_member_may_not_create(tree, member, api_as):
    response = api_as(member).post(
        reverse("api-events"),
        {
            "unit": tree.cell_a1x.slug,
            "title": "AG",
            "starts_at": "2026-12-15T19:00:00+01:00",
            "ends_at": "2026-12-15T21:00:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 403


def test_anonymous_sees_public_occurrences(client, make_event):
    make_event(audience="public", title="Fête")
    make_event(audience="party", title="Interne")
    items = client.get(reverse("api-occurrences") + RANGE).json()
    assert [i["event"]["title"] for i in items] == ["Fête"]


def test_agenda_endpoints_are_in_the_schema(client):
    schema = client.get(reverse("schema")).content.decode()
    for path in (
        "/api/v1/events/",
        "/api/v1/events/{public_id}/",
        "/api/v1/events/{public_id}/cancel/",
        "/api/v1/events/{public_id}/rsvp/",
        "/api/v1/occurrences/",
    ):
        assert path in schema


def test_bad_range_is_400(member, api_as):
    api = api_as(member)
    assert api.get(reverse("api-occurrences") + "?from=nonsense").status_code == 400
    response = api.get(reverse("api-occurrences") + "?from=2026-12-10&to=2026-12-01")
    assert response.status_code == 400 and "to" in response.json()


def test_paris_offsets_are_kept(tree, cell_secretary, api_as):
    response = api_as(cell_secretary).post(
        reverse("api-events"),
        {
            "unit": tree.cell_a1x.slug,
            "title": "AG",
            "starts_at": "2026-12-15T19:00:00+01:00",
            "ends_at": "2026-12-15T21:00:00+01:00",
        },
        format="json",
    )
    assert Event.objects.get(uid=response.json()["uid"]).starts_at == paris(
        2026, 12, 15, 19
    )


def test_occurrences_api_queries_do_not_grow_with_events(
    member, api_as, make_event, django_assert_max_num_queries
):
    api = api_as(member)
    api.get(reverse("api-occurrences") + RANGE)
    make_event(title="A", rrule="FREQ=DAILY;COUNT=5")
    with django_assert_max_num_queries(14) as few:
        api.get(reverse("api-occurrences") + RANGE)
    for n in range(20):
        make_event(title=f"B{n}", description="long text", rrule="FREQ=WEEKLY;COUNT=4")
    with django_assert_max_num_queries(len(few.captured_queries)):
        items = api.get(reverse("api-occurrences") + RANGE).json()
    assert len(items) == 5 + 20 * 4  # weekly from 10 Dec: 10, 17, 24, 31


def test_event_list_gives_descriptions_in_bounded_queries(
    member, api_as, make_event, django_assert_max_num_queries
):
    for n in range(10):
        make_event(title=f"E{n}", description=f"Ordre du jour {n}")
    api = api_as(member)
    api.get(reverse("api-events") + RANGE)
    with django_assert_max_num_queries(12):
        body = api.get(reverse("api-events") + RANGE).json()
    assert {e["description"] for e in body["results"]} == {
        f"Ordre du jour {n}" for n in range(10)
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (
            {"starts_at": "9999-12-31T23:00:00Z", "ends_at": "9999-12-31T23:30:00Z"},
            "starts_at",
        ),
        ({"capacity": 2**40}, "capacity"),
    ],
)
def test_out_of_range_values_are_400(tree, cell_secretary, api_as, fields, field):
    data = {
        "unit": tree.cell_a1x.slug,
        "title": "AG",
        "starts_at": "2026-12-15T19:00:00+01:00",
        "ends_at": "2026-12-15T21:00:00+01:00",
        **fields,
    }
    response = api_as(cell_secretary).post(reverse("api-events"), data, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_impossible_date_in_the_range_is_400(member, api_as):
    response = api_as(member).get(reverse("api-occurrences") + "?from=2026-13-45")
    assert response.status_code == 400 and "from" in response.json()


def test_an_event_position_through_the_api(cell_secretary, api_as, tree):
    api = api_as(cell_secretary)
    body = {
        "unit": tree.cell_a1x.slug,
        "title": "Marché",
        "starts_at": "2026-12-20T10:00:00+01:00",
        "ends_at": "2026-12-20T12:00:00+01:00",
        "latitude": "45.76734",
        "longitude": "4.83422",
    }
    created = api.post(reverse("api-events"), body, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["latitude"], created.json()["longitude"]) == (
        "45.76734",
        "4.83422",
    )
    half = api.post(reverse("api-events"), {**body, "longitude": None}, format="json")
    assert half.status_code == 400 and "longitude" in half.json()
    off = api.post(reverse("api-events"), {**body, "latitude": "91"}, format="json")
    assert off.status_code == 400 and "latitude" in off.json()


def test_an_answer_with_its_reminder_through_the_api(member, api_as, make_event):
    event = make_event(title="Réunion")
    api = api_as(member)
    url = reverse("api-event-rsvp", args=[event.public_id])
    answered = api.post(url, {"answer": "going", "reminder": "2h"}, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["reminder"] == "2h"
    bad = api.post(url, {"answer": "maybe", "reminder": "3y"}, format="json")
    assert bad.status_code == 400 and "reminder" in bad.json()
    from organising.agenda.models import Rsvp

    assert Rsvp.objects.get(user=member).answer == "going"  # nothing half-written
