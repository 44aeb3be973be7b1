"""The agenda in a browser: a member answers from the month view on a phone, and the
answer is kept; the month reads at 360 px and as a grid at 1280 px."""

import os
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Role
from organising.agenda import services

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
