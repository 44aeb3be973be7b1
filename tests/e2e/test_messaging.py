"""Two members in two browsers: each sees the other's private message, and a new
post, appear without reloading the page.

Pages and WebSockets are served by daphne (the ASGI server), started once in a
thread of this process on a free port and pointed at the test database: on
PostgreSQL it opens its own connection to the committed test data; on SQLite's
in-memory test database it shares the test's connection, as Django's live server
does. Everything (HTTP views and sockets) runs in daphne's event loop, so the
in-memory channel layer works as well as Redis."""

import socket
import threading
import time

import pytest
from asgiref.sync import SyncToAsync
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections

from organising.messaging import broadcast, services
from organising.messaging.models import Post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_server: dict = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_daphne() -> str:
    """Start daphne once for the session (Twisted's reactor cannot be restarted)."""
    if "url" in _server:
        return _server["url"]
    import asyncio

    from channels.routing import ProtocolTypeRouter
    from daphne.server import Server, twisted_loop
    from django.core.asgi import get_asgi_application

    from organising.asgi import application

    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": application.application_mapping["websocket"],
        }
    )
    port = _free_port()
    server = Server(
        application=app,
        endpoints=[f"tcp:port={port}:interface=127.0.0.1"],
        signal_handlers=False,
        verbosity=0,
    )

    def run():
        asyncio.set_event_loop(twisted_loop)
        server.run()

    threading.Thread(target=run, name="daphne", daemon=True).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("daphne did not start")
    _server["url"] = f"http://127.0.0.1:{port}"
    return _server["url"]


def _in_django_thread(function):
    """Run `function` in the one thread where daphne runs Django's sync code."""
    return SyncToAsync.single_thread_executor.submit(function).result()


@pytest.fixture
def asgi_server(transactional_db, monkeypatch):
    url = _start_daphne()
    # Daphne runs each request's sync code in a thread of its own: let those threads
    # close their connections when done, so that the test database can be dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    connection = connections["default"]
    shared = connection.vendor == "sqlite" and connection.is_in_memory_db()
    if shared:
        connection.inc_thread_sharing()
        original = _in_django_thread(lambda: connections["default"])
        _in_django_thread(lambda: connections.__setitem__("default", connection))
    yield url
    broadcast.shutdown()
    if shared:
        _in_django_thread(lambda: connections.__setitem__("default", original))
        connection.dec_thread_sharing()
    else:
        _in_django_thread(connections.close_all)


def log_in(page, url, user):
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", "correct-horse-battery")
    login_form = page.locator("form").filter(has=page.locator("input[name=password]"))
    login_form.locator("button[type=submit]").first.click()
    page.wait_for_url(lambda address: "/accounts/login/" not in address)


def wait_until_live(page):
    page.locator("html[data-live=on]").wait_for(state="attached")


def test_two_members_see_each_others_messages_without_reloading(
    asgi_server, new_page, tree, make_member
):
    alice = make_member(tree.cell_a1x, display_name="Alice Martin")
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    conversation = _in_django_thread(
        lambda: services.conversation_start(by=alice, people=[bob], body="Bonjour")
    )
    url = f"{asgi_server}/messages/{conversation.pk}/"

    alice_page, bob_page = new_page(), new_page(phone=True)
    for page, user in ((alice_page, alice), (bob_page, bob)):
        log_in(page, asgi_server, user)
        page.goto(url)
        page.evaluate("window.notReloaded = true")
        wait_until_live(page)

    alice_page.fill("textarea[name=body]", "Rendez-vous à 18 h ?")
    alice_page.click("#message-form button[type=submit]")
    bob_page.locator("#messages").get_by_text("Rendez-vous à 18 h ?").wait_for()

    bob_page.fill("textarea[name=body]", "Oui, devant la mairie.")
    alice_page.locator("#typing").get_by_text("Bob Durand").wait_for()
    bob_page.click("#message-form button[type=submit]")
    alice_page.locator("#messages").get_by_text("Oui, devant la mairie.").wait_for()

    for page in (alice_page, bob_page):
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("#messages .message").count() == 3


def test_a_new_post_appears_in_the_other_members_timeline(
    asgi_server, new_page, tree, make_member
):
    alice = make_member(tree.cell_a1x, display_name="Alice Martin")
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    alice_page, bob_page = new_page(), new_page()
    for page, user in ((alice_page, alice), (bob_page, bob)):
        log_in(page, asgi_server, user)
        page.goto(f"{asgi_server}/timeline/")
        page.evaluate("window.notReloaded = true")
        wait_until_live(page)

    alice_page.fill("#composer textarea[name=body]", "Tractage samedi #marché")
    alice_page.select_option(
        "#composer select[name=audience]", f"unit:{tree.cell_a1x.pk}"
    )
    alice_page.click("#composer button[type=submit]")
    alice_page.locator("#timeline").get_by_text("Tractage samedi").wait_for()
    bob_page.locator("#timeline").get_by_text("Tractage samedi").wait_for()

    bob_page.fill("#composer textarea[name=body]", "J'y serai")
    bob_page.click("#composer button[type=submit]")
    alice_page.locator("#timeline").get_by_text("J'y serai").wait_for()

    post = Post.objects.get(body__startswith="Tractage")
    alice_page.goto(f"{asgi_server}/posts/{post.pk}/delete/")
    alice_page.click("main form button[type=submit]")
    bob_page.locator(f"#post-{post.pk}").wait_for(state="detached")
    assert bob_page.evaluate("window.notReloaded") is True


def test_a_member_finds_someone_by_name_and_writes_to_them(
    asgi_server, new_page, tree, make_member
):
    alice = make_member(tree.cell_a1x, display_name="Alice Martin")
    make_member(tree.cell_b1x, display_name="Bob Durand")
    page = new_page(phone=True)
    log_in(page, asgi_server, alice)
    page.goto(f"{asgi_server}/messages/new/")
    page.fill("#people-query", "dura")
    page.press("#people-query", "Enter")
    page.locator(".people-found li").filter(has_text="Bob Durand").locator("a").click()
    page.wait_for_url(lambda address: "to=" in address)
    assert page.input_value("#id_people").startswith("@bob")
    page.fill("textarea[name=body]", "Bonjour Bob, tu viens jeudi ?")
    page.click("main form[method=post] button[type=submit]")
    page.locator("#messages").get_by_text("Bonjour Bob, tu viens jeudi ?").wait_for()

    # Her own message is not unread: no badge beside the conversation.
    page.goto(f"{asgi_server}/messages/")
    page.get_by_role("link", name="Bob Durand").wait_for()
    assert page.locator("[data-unread]").count() == 1
    assert page.locator("[data-unread]").is_hidden()


def test_a_member_scrolls_back_through_older_posts(
    asgi_server, new_page, tree, make_member
):
    alice = make_member(tree.cell_a1x, display_name="Alice Martin")
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    for number in range(1, 66):
        services.post_create(
            author=alice,
            body=f"Compte rendu n° {number}",
            audience="unit",
            audience_unit=tree.cell_a1x,
        )
    page = new_page(phone=True)
    log_in(page, asgi_server, bob)
    for visit in range(2):  # the second time, the older pages come from the store
        page.goto(f"{asgi_server}/timeline/")
        page.evaluate("window.notReloaded = true")
        cards = page.locator("#timeline article.post")
        assert cards.count() == 30
        page.click("#older a")
        page.get_by_text("Compte rendu n° 6", exact=True).wait_for()
        assert cards.count() == 60
        page.click("#older a")
        page.get_by_text("Compte rendu n° 1", exact=True).wait_for()
        assert cards.count() == 65
        assert page.locator("#older").count() == 0
        assert page.evaluate("window.notReloaded") is True
