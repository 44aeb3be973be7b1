"""Documents in a browser: a member edits the cell's leaflet on a phone, reads the
history and the diff; two members save the same text at once and neither loses what
they wrote; two members editing live see each other's text as they type."""

import os
import re

import pytest
from playwright.sync_api import expect

from organising.documents import services

# One daphne per session (Twisted's reactor cannot be restarted): messaging's.
from .test_messaging import asgi_server, log_in  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("DOCUMENTS_SCREENSHOTS")  # a folder: keep screenshots


def _leaflet(tree, member):
    return services.document_create(
        by=member,
        owner=tree.cell_a1x,
        title="Tract de rentrée",
        body=(
            "# Tract de rentrée\n\nNous voulons des écoles rénovées.\n\n"
            "| Quoi | Quand |\n|---|---|\n| Réunion | jeudi |\n\nÀ bientôt.\n"
        ),
        editors="audience",
    )


def test_member_edits_then_reads_history_and_diff_on_a_phone(
    live_server, tree, make_member, new_page, login
):
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    leaflet = _leaflet(tree, member)
    page = new_page(phone=True)
    login(page, member)
    page.goto(f"{live_server.url}{leaflet.get_absolute_url()}")
    expect(page.locator("#doc-body h1")).to_have_text("Tract de rentrée")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/document-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Modifier", exact=True).click()
    body = page.get_by_label("Texte (Markdown)")
    body.fill(
        body.input_value().replace("écoles rénovées", "écoles rénovées et chauffées")
    )
    page.get_by_label("Ce qui a changé (facultatif)").fill("chauffage")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#doc-body")).to_contain_text("écoles rénovées et chauffées")
    page.get_by_role("link", name="Historique").click()
    expect(page.locator("table")).to_contain_text("chauffage")
    page.get_by_role("link", name="Modifications").first.click()
    expect(page.locator(".doc-diff ins")).to_contain_text("et chauffées")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/diff-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_two_members_save_at_once_and_both_texts_stay(
    live_server, tree, make_member, new_page, login
):
    first = make_member(tree.cell_a1x)
    second = make_member(tree.cell_a1x)
    leaflet = _leaflet(tree, first)
    edit_url = f"{live_server.url}/documents/{leaflet.public_id}/edit/"
    pages = []
    for user in (first, second):
        page = new_page()
        login(page, user)
        page.goto(edit_url)
        pages.append(page)
    one, two = pages
    field = one.get_by_label("Texte (Markdown)")
    field.fill(field.input_value().replace("À bientôt.", "À jeudi."))
    field = two.get_by_label("Texte (Markdown)")
    field.fill(field.input_value().replace("Nous voulons", "Ensemble, nous voulons"))
    one.get_by_role("button", name="Enregistrer").click()
    expect(one.locator("#doc-body")).to_contain_text("À jeudi.")
    # The second started from the same revision: different lines, merged.
    two.get_by_role("button", name="Enregistrer").click()
    expect(two.locator(".flash")).to_contain_text("fusionnées")
    expect(two.locator("#doc-body")).to_contain_text("Ensemble, nous voulons")
    expect(two.locator("#doc-body")).to_contain_text("À jeudi.")
    # Both now change the same sentence: the later one sees both versions.
    for page, word in ((one, "Bientôt jeudi."), (two, "Rendez-vous jeudi.")):
        page.goto(edit_url)
    for page, word in ((one, "Bientôt jeudi."), (two, "Rendez-vous jeudi.")):
        field = page.get_by_label("Texte (Markdown)")
        field.fill(field.input_value().replace("À jeudi.", word))
    one.get_by_role("button", name="Enregistrer").click()
    expect(one.locator("#doc-body")).to_contain_text("Bientôt jeudi.")
    two.get_by_role("button", name="Enregistrer").click()
    expect(two.get_by_role("alert")).to_contain_text("Quelqu’un a modifié")
    text = two.get_by_label("Texte (Markdown)").input_value()
    assert "Bientôt jeudi." in text and "Rendez-vous jeudi." in text
    if SHOTS:
        two.screenshot(path=f"{SHOTS}/conflict-1280.png", full_page=True)


def test_two_members_editing_at_once_see_each_others_text_live(
    asgi_server,  # noqa: F811 (the fixture imported above)
    tree,
    make_member,
    new_page,
):
    """Served by daphne (pages and the socket): what one types appears in the other's
    editor, and who else is editing is shown."""
    first = make_member(tree.cell_a1x, display_name="Camille Martin")
    second = make_member(tree.cell_a1x, display_name="Dominique Roux")
    leaflet = _leaflet(tree, first)
    url = f"{asgi_server}/documents/{leaflet.public_id}/edit/"
    pages = []
    for user in (first, second):
        page = new_page()
        log_in(page, asgi_server, user)
        page.goto(url)
        expect(page.locator("#live-status")).to_contain_text("En direct")
        pages.append(page)
    one, two = pages
    area_one = one.get_by_label("Texte (Markdown)")
    area_two = two.get_by_label("Texte (Markdown)")
    area_one.press("Control+Home")
    area_one.press_sequentially("Urgent ! ")
    expect(area_two).to_have_value(re.compile(r"^Urgent ! # Tract de rentrée"))
    area_two.press("Control+End")
    area_two.press_sequentially("Signé : la cellule.")
    expect(area_one).to_have_value(re.compile(r"Signé : la cellule\.$"))
    expect(one.locator("#live-presence")).to_contain_text("Dominique Roux")
    # Saving the form keeps the text both wrote.
    one.get_by_role("button", name="Enregistrer").click()
    expect(one.locator("#doc-body")).to_contain_text("Urgent !")
    expect(one.locator("#doc-body")).to_contain_text("Signé : la cellule.")
