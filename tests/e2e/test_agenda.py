"""The agenda in a browser: a member answers from the month view on a phone, and the
answer is kept; the month reads at 360 px and as a grid at 1280 px."""

import os
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Role
from organising.agenda import services
from tests.e2e.test_messaging import asgi_server  # noqa: F401 - daphne, once

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AGENDA_SCREENSHOTS")  # a folder: keep screenshots to look at


def _events(tree, make_member):
    secretary = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.SECRETARY)])
    day = timezone.localdate() + timedelta(days=1)
    at = datetime.combine(day, datetime.min.time(), timezone.get_current_timezone())
    services.event_create(
        by=secretary,
        agenda=tree.cell_a1x,
        title="Réunion de cellule",
        starts_at=at + timedelta(hours=19),
        ends_at=at + timedelta(hours=21),
        rrule="FREQ=WEEKLY;COUNT=6",
        place="Local, 12 rue des Lilas",
    )
    services.event_create(
        by=national,
        agenda=tree.national,
        title="Congrès national",
        kind="congress",
        audience="party",
        starts_at=at + timedelta(days=2, hours=9),
        ends_at=at + timedelta(days=2, hours=18),
    )
    return day


def test_member_answers_from_the_month_view_on_a_phone(
    live_server, tree, make_member, new_page, login
):
    day = _events(tree, make_member)
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    page = new_page(phone=True)
    login(page, member)
    page.goto(f"{live_server.url}/agenda/?view=month&day={day:%Y-%m-%d}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon agenda")
    card = page.locator("article.occurrence", has_text="Réunion de cellule").first
    expect(card).to_be_visible()
    expect(
        page.locator("article.occurrence", has_text="Congrès national")
    ).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/agenda-month-360.png", full_page=True)
    # Nothing wider than the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card.get_by_role("button", name="Je viens", exact=True).click()
    card = page.locator("article.occurrence", has_text="Réunion de cellule").first
    expect(card.get_by_role("button", name="Je viens", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(card).to_contain_text("1 vient")
    page.reload()
    card = page.locator("article.occurrence", has_text="Réunion de cellule").first
    expect(card.get_by_role("button", name="Je viens", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    # The home page shows it among what comes next (loaded apart by htmx).
    page.goto(f"{live_server.url}/")
    expect(page.locator(".next-events")).to_contain_text("Réunion de cellule")


def test_month_is_a_grid_on_a_wide_screen(
    live_server, tree, make_member, new_page, login
):
    day = _events(tree, make_member)
    member = make_member(tree.cell_a1x)
    page = new_page()
    login(page, member)
    page.goto(f"{live_server.url}/agenda/?view=month&day={day:%Y-%m-%d}")
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('.month')).gridTemplateColumns"
    )
    assert len(columns.split()) == 7
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/agenda-month-1280.png", full_page=True)
        page.goto(f"{live_server.url}/agenda/?view=week&day={day:%Y-%m-%d}")
        page.screenshot(path=f"{SHOTS}/agenda-week-1280.png", full_page=True)


def test_new_agenda_pages_on_a_phone_and_a_wide_screen(
    live_server, tree, make_member, new_page, login, settings
):
    """Events near me (list, then map), my reminders, an event's reminder choice,
    a group's agenda and its page: readable at 360 px without sideways scrolling,
    a grid-free list on desktop, and axe-checked (new_page)."""
    from decimal import Decimal

    from federation.models import Group, GroupMembership, Territory

    day = _events(tree, make_member)
    Territory.objects.create(unit=tree.cell_a1x, commune="Lyon 1er", postcode="69001")
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    group = Group.objects.create(unit=tree.cell_a1x, name="Quartier Nord", slug="nord")
    GroupMembership.objects.create(group=group, user=member, is_admin=True)
    at = timezone.now() + timedelta(days=3)
    fair = services.event_create(
        by=member,
        agenda=group,
        title="Porte ouverte du quartier",
        audience="public",
        starts_at=at,
        ends_at=at + timedelta(hours=3),
        place="Place Sathonay",
        latitude=Decimal("45.76930"),
        longitude=Decimal("4.83280"),
    )
    services.rsvp_answer(event=fair, user=member, answer="going")
    for phone in (True, False):
        width = 360 if phone else 1280
        settings.MAP_TILES_URL = ""
        page = new_page(phone=phone)
        login(page, member)
        pages = {
            "near": "/agenda/near/",
            "reminders": "/agenda/reminders/",
            "event": fair.get_absolute_url(),
            "group-agenda": f"/agenda/groups/{group.slug}/?view=list&day={day}",
            "group": group.get_absolute_url(),
        }
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            if SHOTS:
                page.screenshot(
                    path=f"{SHOTS}/agenda-{name}-{width}.png", full_page=True
                )
        page.goto(f"{live_server.url}/agenda/near/")
        expect(page.get_by_role("heading", name="Dans ma commune")).to_be_visible()
        expect(page.locator("#near-map")).to_have_count(0)
        page.goto(f"{live_server.url}{fair.get_absolute_url()}")
        page.get_by_label("Me le rappeler").select_option("2h")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Votre rappel est enregistré.")).to_be_visible()
    settings.MAP_TILES_URL = live_server.url + "/static/tiles/{z}/{x}/{y}.png"
    page = new_page()
    login(page, member)
    page.goto(f"{live_server.url}/agenda/near/")
    expect(page.locator("#near-map .leaflet-marker-icon")).to_have_count(1)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/agenda-near-map-1280.png", full_page=True)


def test_answers_and_a_cancellation_arrive_live(
    asgi_server,  # noqa: F811 - the fixture imported above
    new_page,
    tree,
    make_member,
):
    """Over daphne (pages and the socket): one member's answer from the event page
    shows in another's month view, and a cancellation on the event page, without a
    reload."""
    from tests.e2e.test_messaging import _in_django_thread, log_in, wait_until_live

    day = _events(tree, make_member)
    secretary = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])
    camille = make_member(tree.cell_a1x, display_name="Camille Martin")
    dominique = make_member(tree.cell_a1x, display_name="Dominique Petit")
    from organising.agenda.models import Event

    meeting = Event.objects.get(title="Réunion de cellule")
    month, event = new_page(phone=True), new_page()
    heard: list[str] = []  # what the month page's socket receives

    def listen(socket):
        socket.on("framereceived", lambda frame: heard.append(str(frame)))

    month.on("websocket", listen)
    log_in(month, asgi_server, camille)
    month.goto(f"{asgi_server}/agenda/?view=month&day={day:%Y-%m-%d}")
    log_in(event, asgi_server, dominique)
    event.goto(f"{asgi_server}{meeting.get_absolute_url()}")
    elsewhere = new_page()  # another tab of Camille's, outside the agenda
    log_in(elsewhere, asgi_server, camille)
    elsewhere.goto(f"{asgi_server}/agenda/reminders/")
    for page in (month, event, elsewhere):
        page.evaluate("window.notReloaded = true")
        wait_until_live(page)
    watching = f'"type": "watching", "topic": "agenda", "id": {tree.cell_a1x.pk}'
    for _ in range(100):  # the month page watches its cell's agenda (socket ready)
        if any(watching in frame for frame in heard):
            break
        month.wait_for_timeout(100)
    else:
        raise AssertionError(f"the month page never watched its cell: {heard}")
    event.locator("#event-live article.occurrence").get_by_role(
        "button", name="Je viens", exact=True
    ).click()
    card = month.locator("article.occurrence", has_text="Réunion de cellule").first
    expect(card).to_contain_text("1 vient", timeout=10_000)
    _in_django_thread(
        lambda: services.event_set_status(
            event=meeting, by=secretary, status="cancelled"
        )
    )
    expect(event.locator("#event-live .tag-err")).to_be_visible(timeout=10_000)
    expect(month.locator("article.occurrence.status-cancelled").first).to_be_visible(
        timeout=10_000
    )
    expect(elsewhere.locator("[data-agenda-badge]")).to_be_visible(timeout=10_000)
    for page in (month, event, elsewhere):
        assert page.evaluate("window.notReloaded")
