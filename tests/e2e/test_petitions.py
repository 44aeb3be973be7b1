"""A petition in a browser: a visitor signs on a phone-sized window, confirms from
the e-mail, and sees the count move; the page reads at 360 px (no sideways
scrolling) and at 1280 px with the form beside the text. axe-core checks each
page."""

# ruff: noqa: F811 - the petitions fixtures are imported, then asked for by name
import os
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from organising.petitions.models import Petition, Signature
from tests.organising.petitions.conftest import (  # noqa: F401
    fresh_limits,
    make_petition,
    territories,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PETITIONS_SCREENSHOTS")  # a folder: keep screenshots
LINK = re.compile(r"/petitions/confirm/[\w-]+/")


def test_a_visitor_signs_on_a_phone_and_confirms_from_the_email(
    live_server, territories, make_petition, new_page
):
    petition = make_petition(ask_phone=True)
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/petitions/{petition.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.locator(".petition-number")).to_have_text("0")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/petition-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The honeypot is out of sight and out of the keyboard's way.
    assert not page.locator("input[name=website]").is_visible() or (
        page.locator("input[name=website]").bounding_box()["x"] < 0
    )
    page.get_by_role("textbox", name="Prénom").fill("Camille")
    page.locator("input[name=last_name]").fill("Martin")
    page.get_by_label("Adresse e-mail").fill("Camille.Martin@example.org")
    page.get_by_label("Code postal").fill("69001")
    page.get_by_label("Afficher mon prénom et ma commune sur cette page").check()
    page.get_by_role("button", name="Signer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vérifiez votre messagerie"
    )
    assert Petition.objects.get().signature_count == 0
    message = mail.outbox[-1]
    assert message.to == ["camille.martin@example.org"]
    page.goto(live_server.url + LINK.search(message.body).group(0))
    expect(page.get_by_role("heading", level=1)).to_contain_text("confirmée")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/petition-confirmed-360.png", full_page=True)
    page.get_by_role("link", name="Revenir à la pétition, pour la partager").click()
    expect(page.locator(".petition-number")).to_have_text("1")
    expect(page.locator(".signer-list")).to_contain_text("Camille")
    expect(page.locator(".signer-list")).to_contain_text("Lyon 1er")
    expect(page.locator(".signer-list")).not_to_contain_text("Martin")
    assert Signature.objects.get().confirmed_at is not None


def test_the_page_on_a_wide_screen_puts_the_form_beside_the_text(
    live_server, territories, make_petition, new_page
):
    petition = make_petition()
    page = new_page()
    page.goto(f"{live_server.url}/petitions/{petition.slug}/")
    text = page.locator(".petition-text").bounding_box()
    form = page.locator(".petition-sign").bounding_box()
    assert form["x"] > text["x"] + text["width"] - 1
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/petition-1280.png", full_page=True)


def test_an_officer_follows_the_petition_on_a_phone(
    live_server, territories, make_petition, section_secretary, new_page, login
):
    from organising.petitions import services

    petition = make_petition()
    services.signature_request(
        petition=petition,
        first_name="Amina",
        last_name="Diallo",
        email="amina@example.org",
        postcode="69001",
    )
    page = new_page(phone=True)
    login(page, section_secretary)
    page.goto(f"{live_server.url}/petitions/{petition.slug}/manage/")
    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.locator(".figures")).to_contain_text("En attente de confirmation")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/petition-manage-360.png", full_page=True)
    page.get_by_role("button", name="Clore").click()
    expect(page.locator(".flash")).to_contain_text("La pétition est close.")
    page.goto(f"{live_server.url}/petitions/{petition.slug}/")
    expect(page.locator("main")).to_contain_text("Cette pétition est close")
