"""Contacts in a browser: a member adds a person met at the market on a phone-sized
window, then finds them by searching; the contact page and the directory read at
360 px (no horizontal scrolling) and pass axe-core."""

import os

import pytest
from playwright.sync_api import expect

from organising.contacts.models import Contact

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CONTACTS_SCREENSHOTS")  # a folder: keep screenshots


def test_member_adds_a_contact_at_the_market_and_finds_it(
    live_server, tree, make_member, new_page, login
):
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    make_member(
        tree.cell_a1x,
        display_name="Zoé Roux",
        commune="Lyon",
        shared_fields=["commune"],
    )
    page = new_page(phone=True)
    login(page, member)
    page.goto(f"{live_server.url}/contacts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    page.get_by_role("link", name="Ajouter un contact").click()
    page.get_by_label("Prénom").fill("Nadia")
    page.locator("#id_last_name").fill("Benali")
    page.get_by_role("textbox", name="Téléphone").fill("06 12 45 78 90")
    page.get_by_role("textbox", name="Commune").fill("Lyon")
    page.get_by_label("Étiquettes").fill("marché, logement")
    page.get_by_label("Où a-t-elle accepté d’être recontactée\u202f?").fill(
        "Marché de la Croix-Rousse"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contact-form-360.png", full_page=True)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nadia Benali")
    expect(page.locator("main")).to_contain_text("06 12 45 78 90")
    expect(page.locator("main")).to_contain_text("Marché de la Croix-Rousse")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contact-360.png", full_page=True)
    contact = Contact.objects.get()
    assert contact.phone == "+33612457890" and contact.follower_id == member.pk

    # Back to the list: typing in the search box filters the rows (htmx).
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_label("Chercher par nom, e-mail ou téléphone").fill("bena")
    rows = page.locator(".contact-list li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Nadia Benali")
    page.get_by_label("Chercher par nom, e-mail ou téléphone").fill("zzz")
    expect(page.locator(".contact-list")).to_contain_text(
        "Aucun contact ne correspond."
    )
    page.get_by_label("Chercher par nom, e-mail ou téléphone").fill("06 12 45")
    expect(page.locator(".contact-list li").first).to_contain_text("Nadia Benali")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contacts-360.png", full_page=True)

    # The directory shows the member's commune, which they chose to show.
    page.goto(f"{live_server.url}/directory/")
    expect(page.locator(".directory-list")).to_contain_text("Zoé Roux")
    expect(page.locator(".directory-list")).to_contain_text("Lyon")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_contacts_list_on_a_wide_screen(
    live_server, tree, make_member, new_page, login
):
    member = make_member(tree.cell_a1x)
    from organising.contacts import services

    for name in ("Dupont", "Martin", "Petit"):
        services.contact_create(
            unit=tree.cell_a1x,
            by=member,
            consent_source="marché",
            consent_covers={"email"},
            last_name=name,
            tags="marché",
        )
    page = new_page()
    login(page, member)
    page.goto(f"{live_server.url}/contacts/")
    expect(page.locator(".contact-list li")).to_have_count(3)
    page.get_by_label("Étiquette", exact=True).select_option("marché")
    expect(page.locator(".contact-list li")).to_have_count(3)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contacts-1280.png", full_page=True)
