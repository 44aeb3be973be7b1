"""A cell's secretary gives an office and ends it from the members page, on a phone
(the page passes axe-core on every visit, see conftest)."""

import re

import pytest
from playwright.sync_api import expect

from members.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_secretary_gives_and_ends_an_office(
    live_server, tree, cell_secretary, make_member, new_page, login
):
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    page = new_page(phone=True)
    login(page, cell_secretary)
    page.goto(f"{live_server.url}/units/{tree.cell_a1x.slug}/members/")
    offices = page.get_by_role("region", name=re.compile(tree.cell_a1x.name))
    offices.get_by_label("Adresse e-mail du membre").fill(bob.email)
    offices.get_by_label("Fonction").select_option("treasurer")
    offices.get_by_role("button", name="Confier cette fonction").click()
    expect(page.get_by_text("Bob Durand est désormais")).to_be_visible()
    assert Role.objects.filter(user=bob, kind="treasurer", ended_on=None).exists()
    page.get_by_role(
        "button", name="Mettre fin à la fonction de Bob Durand (trésorier)"
    ).click()
    expect(page.get_by_text("Bob Durand n’exerce plus la fonction")).to_be_visible()
    assert not Role.objects.filter(user=bob, ended_on=None).exists()
