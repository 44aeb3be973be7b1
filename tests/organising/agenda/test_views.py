"""Agenda pages as a member sees them: my agenda across the tree (month, week,
list), filters, RSVP from the month view with htmx, bounded queries, the home block,
invisible events as 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Role
from organising.agenda import services
from organising.agenda.models import Rsvp

from .conftest import paris

DECEMBER = "?view=month&day=2026-12-01"


@pytest.fixture
def tree_events(tree, make_member, make_event, cell_secretary):
    """A cell meeting (weekly), a section training, a federation demonstration for
    the federation and below, a national congress for the party, a sibling cell's
    meeting for that cell alone, and another federation's event."""
    section_officer = make_member(
        tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)]
    )
    fed_officer = make_member(tree.cell_a2x, roles=[(tree.fed_a, Role.Kind.OFFICER)])
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.SECRETARY)])
    sibling_sec = make_member(
        tree.cell_a1y, roles=[(tree.cell_a1y, Role.Kind.SECRETARY)]
    )
    fed_b = make_member(tree.cell_b1x, roles=[(tree.fed_b, Role.Kind.SECRETARY)])
    return {
        "cell": make_event(title="Réunion hebdo", rrule="FREQ=WEEKLY;COUNT=10"),
        "section": make_event(
            agenda=tree.section_a1,
            by=section_officer,
            title="Journée de formation",
            kind="training",
            starts_at=paris(2026, 12, 12, 9),
            ends_at=paris(2026, 12, 12, 17),
        ),
        "federation": make_event(
            agenda=tree.fed_a,
            by=fed_officer,
            title="Manifestation",
            kind="demonstration",
            starts_at=paris(2026, 12, 5, 14),
            ends_at=paris(2026, 12, 5, 17),
        ),
        "national": make_event(
            agenda=tree.national,
            by=national,
            title="Congrès national",
            kind="congress",
            audience="party",
            starts_at=paris(2026, 12, 19, 9),
            ends_at=paris(2026, 12, 20, 18),
        ),
        "sibling": make_event(
            agenda=tree.cell_a1y,
            by=sibling_sec,
            title="Réunion voisine",
            audience="unit",
        ),
        "other_fed": make_event(agenda=tree.fed_b, by=fed_b, title="Autre fédération"),
    }


def test_my_agenda_holds_my_cell_and_everything_above_for_me(
    member, client_as, tree_events
):
    page = client_as(member).get(reverse("agenda:mine") + DECEMBER).content.decode()
    for title in (
        "Réunion hebdo",
        "Journée de formation",
        "Manifestation",
        "Congrès national",
    ):
        assert title in page
    assert "Réunion voisine" not in page
    assert "Autre fédération" not in page
    assert page.count("Réunion hebdo") >= 4  # weekly: every Thursday of December


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_views_render(member, client_as, tree_events, view):
    response = client_as(member).get(
        reverse("agenda:mine") + f"?view={view}&day=2026-12-10"
    )
    assert response.status_code == 200
    assert "Réunion hebdo" in response.content.decode()


def test_filter_by_kind_and_unit(tree, member, client_as, tree_events):
    client = client_as(member)
    page = client.get(reverse("agenda:mine") + DECEMBER + "&kind=training")
    assert "Journée de formation" in page.content.decode()
    assert "Réunion hebdo" not in page.content.decode()
    page = client.get(
        reverse("agenda:mine") + DECEMBER + f"&unit={tree.section_a1.slug}"
    )
    text = page.content.decode()
    assert "Journée de formation" in text and "Réunion hebdo" in text
    assert "Manifestation" not in text


def test_month_view_queries_do_not_grow_with_events(
    tree, member, client_as, make_event, django_assert_max_num_queries
):
    client = client_as(member)
    client.get(reverse("agenda:mine") + DECEMBER)  # viewer and session warmed
    for n in range(3):
        make_event(title=f"E{n}", rrule="FREQ=DAILY;COUNT=20")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("agenda:mine") + DECEMBER)
    for n in range(30):
        make_event(title=f"F{n}", rrule="FREQ=WEEKLY;COUNT=8")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("agenda:mine") + DECEMBER)
    assert "30 more" in response.content.decode()  # 33 that day, 3 cards shown


def test_rsvp_from_the_month_view_with_htmx(member, client_as, tree_events):
    event = tree_events["section"]
    response = client_as(member).post(
        reverse("agenda:rsvp", args=[event.public_id]),
        {"answer": "going", "occurrence": "20261212T080000Z", "compact": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert "1 going" in response.content.decode()
    assert Rsvp.objects.get(user=member).answer == "going"


def test_rsvp_to_an_invisible_event_is_404(member, client_as, tree_events):
    event = tree_events["sibling"]
    response = client_as(member).post(
        reverse("agenda:rsvp", args=[event.public_id]), {"answer": "going"}
    )
    assert response.status_code == 404
    assert client_as(member).get(event.get_absolute_url()).status_code == 404
    assert not Rsvp.objects.exists()


def test_answered_event_stays_in_my_agenda(tree, member, client_as, make_event):
    from organising.agenda.models import Event

    event = make_event(audience="public", title="Fête publique")
    Event.objects.filter(pk=event.pk).update(unit=tree.cell_b1x)  # elsewhere
    assert (
        "Fête publique"
        not in client_as(member).get(reverse("agenda:mine") + DECEMBER).content.decode()
    )
    services.rsvp_answer(event=event, user=member, answer="maybe")
    assert (
        "Fête publique"
        in client_as(member).get(reverse("agenda:mine") + DECEMBER).content.decode()
    )


def test_public_agenda_shows_public_events_to_anonymous(client, make_event):
    make_event(audience="public", title="Fête publique")
    make_event(audience="party", title="Interne")
    page = client.get(reverse("agenda:public") + DECEMBER).content.decode()
    assert "Fête publique" in page and "Interne" not in page


def test_unit_agenda_shows_what_comes_from_above(tree, member, client_as, tree_events):
    page = (
        client_as(member)
        .get(reverse("agenda:unit", args=[tree.cell_a1x.slug]) + DECEMBER)
        .content.decode()
    )
    assert "Réunion hebdo" in page and "Manifestation" in page
    assert "Journée de formation" in page


def test_home_block_lists_next_events(member, client_as, make_event):
    soon = timezone.now() + timedelta(days=2)
    make_event(title="Bientôt", starts_at=soon, ends_at=soon + timedelta(hours=1))
    page = client_as(member).get(reverse("agenda:next")).content.decode()
    assert "Bientôt" in page


def test_officer_creates_an_event_from_the_form(tree, cell_secretary, client_as):
    response = client_as(cell_secretary).post(
        reverse("agenda:event_create") + f"?unit={tree.cell_a1x.slug}",
        {
            "title": "Porte-à-porte",
            "kind": "action",
            "audience": "unit_tree",
            "starts_at": "2026-12-13T10:00",
            "ends_at": "2026-12-13T12:00",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    from organising.agenda.models import Event

    event = Event.objects.get(title="Porte-à-porte")
    assert event.starts_at == paris(2026, 12, 13, 10)


def test_form_shows_bad_rrule_and_end_before_start(tree, cell_secretary, client_as):
    response = client_as(cell_secretary).post(
        reverse("agenda:event_create") + f"?unit={tree.cell_a1x.slug}",
        {
            "title": "X",
            "kind": "meeting",
            "audience": "unit_tree",
            "starts_at": "2026-12-13T10:00",
            "ends_at": "2026-12-13T09:00",
            "timezone": "Europe/Paris",
            "rrule": "FREQ=WEEKLY",
        },
    )
    assert response.status_code == 200
    assert "The end is before the start." in response.content.decode()
    from organising.agenda.models import Event

    assert not Event.objects.exists()


def test_plain_member_may_not_open_the_create_form(tree, member, client_as):
    response = client_as(member).get(
        reverse("agenda:event_create") + f"?unit={tree.cell_a1x.slug}"
    )
    assert response.status_code == 403


def test_organiser_sees_attendees_with_times_and_exports_csv(
    tree, member, make_member, cell_secretary, client_as, make_event
):
    from organising.audit.models import AuditEntry

    event = make_event(audience="public")
    services.rsvp_answer(event=event, user=member, answer="going")
    guest = services.rsvp_guest_request(
        event=event, name="=HYPERLINK(1)", email="g@example.org"
    )
    from organising.agenda.models import Rsvp as R

    R.objects.filter(pk=guest.pk).update(confirmed_at=timezone.now())
    url = reverse("agenda:attendees", args=[event.public_id])
    assert client_as(member).get(url).status_code == 404  # unseen, not forbidden
    page = client_as(cell_secretary).get(url).content.decode()
    assert member.display_name in page and "=HYPERLINK(1)" in page
    response = client_as(cell_secretary).get(url + "?format=csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=HYPERLINK(1)" in body
    assert member.email in body
    assert AuditEntry.objects.filter(action="csv.export").exists()


def test_guest_rsvp_page_flow(client, make_event, mailoutbox):
    event = make_event(audience="public", title="Fête publique")
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Send me the link" in page
    with_callbacks = client.post(
        reverse("agenda:rsvp_guest", args=[event.public_id]),
        {"name": "Ana", "email": "ana@example.org"},
    )
    assert with_callbacks.status_code == 200
    assert "Check your e-mail" in with_callbacks.content.decode()


def test_guests_are_never_shown_to_other_visitors(client, make_event):
    event = make_event(audience="public")
    rsvp = services.rsvp_guest_request(
        event=event, name="Ana Secret", email="ana@example.org"
    )
    from organising.agenda.models import Rsvp as R

    R.objects.filter(pk=rsvp.pk).update(confirmed_at=timezone.now())
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Ana Secret" not in page and "ana@example.org" not in page
    assert "1 going" in page
    url = reverse("agenda:attendees", args=[event.public_id])
    assert client.get(url).status_code == 302  # to the login page


def test_feed_page_shows_the_new_address_once(member, client_as):
    client = client_as(member)
    page = client.post(reverse("agenda:feed")).content.decode()
    assert "/agenda/feed/" in page and ".ics" in page
    assert ".ics" not in client.get(reverse("agenda:feed")).content.decode()


def test_home_page_loads_the_next_events_apart_from_the_stored_page(member, client_as):
    page = client_as(member).get(reverse("messaging:home")).content.decode()
    assert f'hx-get="{reverse("agenda:next")}"' in page


def test_unit_page_loads_its_coming_events(tree, member, client_as, make_event):
    soon = timezone.now() + timedelta(days=2)
    make_event(title="Bientôt", starts_at=soon, ends_at=soon + timedelta(hours=1))
    client = client_as(member)
    page = client.get(tree.cell_a1x.get_absolute_url()).content.decode()
    assert reverse("agenda:unit_next", args=[tree.cell_a1x.slug]) in page
    fragment = client.get(reverse("agenda:unit_next", args=[tree.cell_a1x.slug]))
    assert "Bientôt" in fragment.content.decode()


def test_list_view_is_a_bounded_page_with_a_later_link(member, client_as, make_event):
    for n in range(55):
        start = paris(2026, 12, 1, 18) + timedelta(days=n)
        make_event(
            title=f"Jour {n}", starts_at=start, ends_at=start + timedelta(hours=1)
        )
    page = (
        client_as(member)
        .get(reverse("agenda:mine") + "?view=list&day=2026-12-01")
        .content.decode()
    )
    assert "Jour 49<" in page and "Jour 50<" not in page
    assert "?view=list&amp;day=2027-01-20" in page
