"""The foundation's main flows, the way a person does them in a browser."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from federation.models import Territory
from members.models import Application, Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_member_logs_in_and_sees_their_units(
    live_server, tree, member, new_page, login
):
    page = new_page(phone=True)
    login(page, member)
    page.goto(f"{live_server.url}/units/")
    links = page.locator(".unit-level a").all_inner_texts()
    assert links == [
        tree.national.name,
        tree.fed_a.name,
        tree.section_a1.name,
        tree.cell_a1x.name,
    ]
    page.get_by_role("link", name=tree.section_a1.name).click()
    assert page.locator("h1").inner_text().startswith(tree.section_a1.name)
    assert (
        page.get_by_role("navigation", name="Fil d'Ariane")
        .get_by_text(tree.fed_a.name)
        .is_visible()
    )


def test_secretary_invites_a_member_who_accepts_and_lands_in_the_cell(
    live_server, tree, cell_secretary, new_page, login
):
    secretary = new_page(phone=True)
    login(secretary, cell_secretary)
    secretary.goto(f"{live_server.url}/units/{tree.cell_a1x.slug}/")
    secretary.locator(f"a[href='/units/{tree.cell_a1x.slug}/invite/']").first.click()
    secretary.fill("input[name=email]", "nouvelle@example.org")
    secretary.fill("input[name=display_name]", "Nouvelle Adhérente")
    secretary.locator("main form button[type=submit]").click()
    secretary.wait_for_url(re.compile(r"/members/$"))

    link = re.search(r"http\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    newcomer = new_page()
    newcomer.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    newcomer.fill("input[name=password]", "une-phrase-assez-longue")
    newcomer.fill("input[name=password_again]", "une-phrase-assez-longue")
    newcomer.locator("main form button[type=submit]").click()
    newcomer.wait_for_url(re.compile(r"/welcome/$"))
    assert tree.cell_a1x.name in newcomer.locator("main").inner_text()
    assert (
        Membership.objects.current().get(user__email="nouvelle@example.org").unit
        == tree.cell_a1x
    )


def test_visitor_joins_by_postcode_and_the_secretary_accepts(
    live_server, tree, cell_secretary, new_page, login
):
    Territory.objects.create(unit=tree.cell_a1x, commune="Lyon 1er", postcode="69001")
    visitor = new_page(phone=True)
    visitor.goto(live_server.url)
    visitor.locator("main a[href='/join/']").click()
    visitor.fill("input[name=postcode]", "69001")
    visitor.locator("main form button[type=submit]").first.click()
    assert tree.cell_a1x.name in visitor.locator("main").inner_text()
    visitor.fill("input[name=display_name]", "Sami Visiteur")
    visitor.fill("input[name=email]", "sami@example.org")
    visitor.locator("main form[method=post] button[type=submit]").click()
    expect(visitor.locator("input[name=email]")).to_have_count(0)  # the thank-you page
    assert Application.objects.get(email="sami@example.org").unit == tree.cell_a1x

    secretary = new_page()
    login(secretary, cell_secretary)
    secretary.goto(f"{live_server.url}/admin-units/")
    secretary.get_by_role("button", name="Accepter").click()
    secretary.wait_for_load_state()
    assert (
        Membership.objects.current().get(user__email="sami@example.org").unit
        == tree.cell_a1x
    )
