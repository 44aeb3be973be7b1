"""Votes in a browser: a member votes on a phone-sized window (a ranked ballot, one
select per rank, no script needed), keeps the receipt and checks it; the results
page reads at 360 px. axe-core runs on every page (tests/e2e/conftest.py)."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Role
from organising.votes import services
from organising.votes.models import Ballot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("VOTES_SCREENSHOTS")  # a folder: keep screenshots to look at


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def test_member_votes_on_a_phone_and_checks_the_receipt(
    live_server, tree, make_member, new_page, login
):
    officer = make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)])
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    others = [make_member(tree.cell_a1x) for _ in range(5)]
    now = timezone.now()
    vote = services.vote_create(
        by=officer,
        title="Élection des délégués au congrès",
        text="Classez les candidats par ordre de préférence.",
        kind="ranked",
        options=["Ana Lopez", "Bruno Petit", "Chloé Martin"],
        unit=tree.section_a1,
        opens_at=now + timedelta(minutes=5),
        closes_at=now + timedelta(days=2),
    )
    vote = services.vote_open(vote=vote, by=officer)
    for other in others:
        services.ballot_cast(vote=vote, by=other, choices=[0, 1])

    page = new_page(phone=True)
    login(page, member)
    page.goto(f"{live_server.url}/votes/")
    page.get_by_role("link", name="Élection des délégués au congrès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Élection des délégués au congrès"
    )
    page.get_by_label("Choix 1").select_option(label="Chloé Martin")
    page.get_by_label("Choix 2").select_option(label="Ana Lopez")
    _no_horizontal_scroll(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/vote-360.png", full_page=True)
    page.get_by_role("button", name="Déposer mon bulletin").click()
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    code = receipt.inner_text().strip()
    assert Ballot.objects.get(receipt=code).ranking == "2,0"
    expect(page.get_by_text("6 bulletins sur 7 électeurs")).to_be_visible()

    page.get_by_role("link", name="Vérifier un reçu").click()
    page.get_by_label("Code du reçu").fill(code.lower())
    page.get_by_role("button", name="Vérifier").click()
    result = page.get_by_test_id("receipt-result")
    expect(result).to_contain_text("Ce bulletin est dans l’urne.")
    expect(result).to_contain_text("Chloé Martin › Ana Lopez")
    _no_horizontal_scroll(page)

    services.vote_close(vote=vote, by=officer)
    page.goto(f"{live_server.url}{vote.get_absolute_url()}results/")
    expect(page.get_by_test_id("winners")).to_contain_text("Ana Lopez")
    expect(
        page.get_by_role("heading", name="Le dépouillement (méthode de Schulze)")
    ).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/results-360.png", full_page=True)
    desktop = new_page()
    login(desktop, officer)
    desktop.goto(f"{live_server.url}{vote.get_absolute_url()}results/")
    expect(desktop.get_by_role("heading", name="Par unité")).to_be_visible()
    if SHOTS:
        desktop.screenshot(path=f"{SHOTS}/results-1280.png", full_page=True)
