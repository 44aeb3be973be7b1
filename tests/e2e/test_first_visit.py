"""A newcomer's first visit in a browser, without dead ends: every page is also
checked by axe-core (tests/e2e/conftest.py) at the width it is opened with."""

import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from federation import services as federation
from federation.models import Territory
from members.models import Membership, Role
from organising.messaging import services as messaging

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("phone", [True, False], ids=["360px", "1280px"])
def test_a_members_pages_pass_axe_core_at_both_widths(
    live_server, tree, make_member, new_page, login, a11y, phone
):
    secretary = make_member(
        tree.cell_a1x,
        roles=[(tree.cell_a1x, Role.Kind.SECRETARY)],
        display_name="Sonia Secrétaire",
    )
    member = make_member(tree.cell_a1x, display_name="Éric Martin")
    post = messaging.post_create(
        author=secretary,
        body="Bienvenue dans la cellule !",
        audience="unit",
        audience_unit=tree.cell_a1x,
    )
    messaging.post_react(post=post, by=member, kind="fist")
    group = federation.group_create(unit=tree.cell_a1x, name="Santé", by=secretary)
    visitor = new_page(phone=phone)
    visits = [("join", "/join/?postcode=75001"), ("login", "/accounts/login/")]
    for name, path in visits:
        visitor.goto(live_server.url + path)
        _screenshot(visitor, name, phone)
    page = new_page(phone=phone)
    login(page, member)
    for name, path in (
        ("timeline", "/timeline/"),
        ("post", f"/posts/{post.pk}/"),
        ("units", "/units/"),
        ("cell", f"/units/{tree.cell_a1x.slug}/"),
        ("section", f"/units/{tree.section_a1.slug}/"),
        ("group", f"/groups/{group.slug}/"),
        ("welcome", "/welcome/"),
        ("profile", "/me/"),
        ("notifications", "/notifications/"),
        ("messages", "/messages/"),
        ("404", "/no-such-page/"),
    ):
        page.goto(live_server.url + path)
        _screenshot(page, name, phone)
    assert len(a11y.checked) >= 13


def _screenshot(page, name: str, phone: bool) -> None:
    """Kept under /tmp for a person to look at (not compared)."""
    width = 360 if phone else 1280
    page.screenshot(path=f"/tmp/newcomer-{name}-{width}.png", full_page=True)


def test_a_join_request_is_notified_and_accepted_from_the_section(
    live_server, tree, make_member, new_page, login
):
    """A postcode covered only by the section: the section's secretary hears of the
    request, accepts it into the section; the newcomer chooses a password and lands
    signed in on the welcome page."""
    Territory.objects.create(unit=tree.section_a1, commune="Caluire", postcode="69300")
    section_secretary = make_member(
        tree.cell_a1y,
        roles=[(tree.section_a1, Role.Kind.SECRETARY)],
        display_name="Sacha Section",
    )
    visitor = new_page(phone=True)
    visitor.goto(f"{live_server.url}/join/?postcode=69300")
    assert tree.section_a1.name in visitor.locator("main").inner_text()
    visitor.fill("input[name=display_name]", "Sami Visiteur")
    visitor.fill("input[name=email]", "sami@example.org")
    visitor.locator("main form[method=post] button[type=submit]").click()
    expect(visitor.locator("h1")).to_have_text("Merci !")
    to_officer, acknowledgement = mail.outbox[-2:]
    assert to_officer.to == [section_secretary.email]
    assert acknowledgement.to == ["sami@example.org"]

    secretary = new_page()
    login(secretary, section_secretary)
    admin_link = secretary.get_by_role("link", name=re.compile("Administration"))
    expect(admin_link.locator(".badge")).to_have_text(re.compile("1$"))
    admin_link.click()
    secretary.get_by_role("button", name="Accepter").click()
    expect(secretary.locator(".flash")).to_contain_text("Sami Visiteur")
    assert (
        Membership.objects.current().get(user__email="sami@example.org").unit
        == tree.section_a1
    )

    link = re.search(r"http\S+/welcome/password/\S+/", mail.outbox[-1].body).group(0)
    visitor.goto(link.replace(settings.SITE_URL, live_server.url))
    visitor.fill("input[name=password]", "une-phrase-assez-longue")
    visitor.fill("input[name=password_again]", "une-phrase-assez-longue")
    visitor.locator("main form button[type=submit]").click()
    visitor.wait_for_url(re.compile(r"/welcome/$"))
    main = visitor.locator("main")
    expect(main.locator("h1")).to_contain_text("Sami Visiteur")
    expect(main).to_contain_text(tree.section_a1.name)
    expect(main).to_contain_text("Sacha Section")  # its officers
    expect(main.get_by_role("link", name="Complétez votre profil")).to_be_visible()


def test_keyboard_only_login(live_server, member, new_page):
    """E-mail, Tab, password, Enter signs in (the reset link is after the button)."""
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").focus()
    page.keyboard.type(member.email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_attached()


def test_the_phone_menu_button_shows_unread_messages_and_notifications(
    live_server, tree, make_member, member, new_page, login
):
    friend = make_member(tree.cell_a1x, display_name="Alex Ami")
    messaging.conversation_start(by=friend, people=[member], body="Salut !")
    messaging.notification_create(
        recipient=member, kind="mention", actor=friend, text="@membre"
    )
    page = new_page(phone=True)
    login(page, member)
    button = page.locator(".menu-toggle")
    expect(button).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    expect(button.locator('[data-live-count="messages"]')).to_have_text(
        re.compile("1$")
    )
    expect(button.locator('[data-live-count="notifications"]')).to_have_text(
        re.compile("1$")
    )
    page.screenshot(path="/tmp/newcomer-phone-menu.png")
    button.click()
    expect(page.get_by_role("link", name=re.compile("^Messages"))).to_be_visible()
