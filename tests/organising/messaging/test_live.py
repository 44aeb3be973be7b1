"""The live socket: who connects, what each socket receives, catch-up after a
reconnection, closing when access ends."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from federation.models import Audience
from members.services import sessions_cut
from organising.asgi import application
from organising.messaging import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
async def close_worker_connections():
    """Consumers query from asgiref's worker thread; close its connection after each
    test so that PostgreSQL can drop the test database at the end."""
    yield
    await sync_to_async(connections.close_all)()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_socket(user=None, *, headers=None) -> WebsocketCommunicator:
    all_headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        all_headers.append(
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())
        )
    all_headers += headers or []
    return WebsocketCommunicator(application, "/ws/", headers=all_headers)


async def connected(user, stream="home", ref=None, since=0, shown=()):
    socket = await open_socket(user)
    ok, _code = await socket.connect()
    assert ok
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    await socket.send_json_to(
        {
            "type": "subscribe",
            "stream": stream,
            "id": ref,
            "since": since,
            "shown": list(shown),
        }
    )
    reply = await socket.receive_json_from()
    assert reply["type"] == "subscribed"
    return socket


async def test_anonymous_socket_is_refused_with_4401():
    socket = await open_socket()
    ok, code = await socket.connect()
    assert not ok
    assert code == 4401


async def test_cell_member_gets_new_cell_post_live(people, post_as):
    socket = await connected(people.bob)
    await sync_to_async(post_as)(people.alice, "Live hello")
    event = await socket.receive_json_from(timeout=2)
    assert event["type"] == "post.new"
    assert "Live hello" in event["html"]
    await socket.disconnect()


async def test_a_post_published_from_the_page_arrives_live(tree, people):
    """Through a request, as members post (the announcement waits for the response
    with Redis, and runs inline with the in-memory layer)."""
    socket = await connected(people.bob)

    def publish():
        client = Client()
        client.force_login(people.alice, backend=settings.AUTHENTICATION_BACKENDS[0])
        return client.post(
            "/posts/new/",
            {"body": "Depuis la page", "audience": f"unit:{tree.cell_a1x.pk}"},
        )

    response = await sync_to_async(publish)()
    assert response.status_code == 302
    event = await socket.receive_json_from(timeout=5)
    assert event["type"] == "post.new"
    assert "Depuis la page" in event["html"]
    await socket.disconnect()


async def nothing_arrives(socket) -> bool:
    return await socket.receive_nothing(timeout=0.3)


async def test_sibling_cell_member_does_not_get_a_cell_post(people, post_as):
    carol = await connected(people.carol)
    bob = await connected(people.bob)
    await sync_to_async(post_as)(people.alice, "cell only")
    assert (await bob.receive_json_from(timeout=2))["type"] == "post.new"
    assert await nothing_arrives(carol)
    await carol.disconnect()
    await bob.disconnect()


async def test_audience_is_checked_per_event_not_only_at_connection(
    tree, people, post_as
):
    """Officers' posts travel on the section's group, which members below also join:
    the socket drops what its user may not see."""
    carol = await connected(people.carol)
    officer = await connected(people.officer)
    await sync_to_async(post_as)(
        people.carol, "for officers", Audience.OFFICERS, tree.section_a1
    )
    assert (await officer.receive_json_from(timeout=2))["type"] == "post.new"
    assert (await carol.receive_json_from(timeout=2))["type"] == "post.new"  # her own
    bob = await connected(people.bob)
    await sync_to_async(post_as)(
        people.officer, "officers again", Audience.OFFICERS, tree.section_a1
    )
    assert await nothing_arrives(bob)
    for socket in (carol, officer, bob):
        await socket.disconnect()


async def test_group_posts_reach_only_group_members(people, post_as, health_group):
    erin = await connected(people.erin)
    bob = await connected(people.bob)
    group_socket = await connected(people.alice, "group", health_group.pk)
    await sync_to_async(post_as)(
        people.alice, "group news", Audience.GROUP, group=health_group
    )
    assert "group news" in (await erin.receive_json_from(timeout=2))["html"]
    assert "group news" in (await group_socket.receive_json_from(timeout=2))["html"]
    assert await nothing_arrives(bob)
    for socket in (erin, bob, group_socket):
        await socket.disconnect()


async def test_subscribing_to_a_group_one_is_not_in_is_refused(people, health_group):
    socket = await open_socket(people.bob)
    await socket.connect()
    await socket.receive_json_from()
    await socket.send_json_to(
        {"type": "subscribe", "stream": "group", "id": health_group.pk}
    )
    assert (await socket.receive_json_from())["error"] == "not found"
    await socket.disconnect()


async def test_hidden_and_deleted_posts_disappear_live(people, post_as):
    bob = await connected(people.bob)
    post = await sync_to_async(post_as)(people.alice, "soon hidden")
    await bob.receive_json_from(timeout=2)
    await sync_to_async(services.post_hide)(post=post, by=people.officer, reason="no")
    event = await bob.receive_json_from(timeout=2)
    assert (event["type"], event["id"]) == ("post.remove", post.pk)
    other = await sync_to_async(post_as)(people.alice, "soon deleted")
    await bob.receive_json_from(timeout=2)
    await sync_to_async(services.post_delete)(post=other, by=people.alice)
    event = await bob.receive_json_from(timeout=2)
    assert (event["type"], event["id"]) == ("post.remove", other.pk)
    await bob.disconnect()


async def test_edits_arrive_live(people, post_as):
    bob = await connected(people.bob)
    post = await sync_to_async(post_as)(people.alice, "first words")
    await bob.receive_json_from(timeout=2)
    await sync_to_async(services.post_edit)(
        post=post, by=people.alice, body="better words"
    )
    event = await bob.receive_json_from(timeout=2)
    assert event["type"] == "post.update" and "better words" in event["html"]
    await bob.disconnect()


async def test_reconnecting_socket_gets_what_it_missed(people, post_as):
    first = await sync_to_async(post_as)(people.alice, "seen before")
    await sync_to_async(post_as)(people.alice, "missed one")
    await sync_to_async(post_as)(people.carol, "not for bob")
    await sync_to_async(post_as)(people.alice, "missed two")
    socket = await connected(people.bob, since=first.pk)
    bodies = []
    while True:
        event = await socket.receive_json_from(timeout=2)
        if event["type"] == "caught_up":
            break
        bodies.append(event["html"])
    assert len(bodies) == 2
    assert "missed one" in bodies[0] and "missed two" in bodies[1]
    assert event["stale"] is False
    await socket.disconnect()


async def test_a_reconnecting_socket_drops_what_was_removed_meanwhile(people, post_as):
    kept = await sync_to_async(post_as)(people.alice, "still there")
    deleted = await sync_to_async(post_as)(people.alice, "deleted while away")
    hidden = await sync_to_async(post_as)(people.alice, "hidden while away")
    await sync_to_async(services.post_delete)(post=deleted, by=people.alice)
    await sync_to_async(services.post_hide)(
        post=hidden, by=people.officer, reason="Hors sujet"
    )
    socket = await connected(
        people.bob, since=hidden.pk, shown=[kept.pk, deleted.pk, hidden.pk]
    )
    removed = []
    while (event := await socket.receive_json_from(timeout=2))["type"] != "caught_up":
        assert event["type"] == "post.remove"
        removed.append(event["id"])
    assert removed == [deleted.pk, hidden.pk]
    await socket.disconnect()


async def test_a_subscription_with_a_bad_shown_list_is_refused(people):
    socket = await open_socket(people.bob)
    await socket.connect()
    await socket.receive_json_from()
    for shown in ("1,2", [True], list(range(101))):
        await socket.send_json_to(
            {"type": "subscribe", "stream": "home", "since": 1, "shown": shown}
        )
        assert (await socket.receive_json_from())["error"] == "bad subscription"
    await socket.disconnect()


async def test_thread_sockets_get_replies(people, post_as):
    root = await sync_to_async(post_as)(people.alice, "thread")
    socket = await connected(people.bob, "thread", root.pk)
    await sync_to_async(services.post_create)(
        author=people.alice, body="a reply", parent=root
    )
    event = await socket.receive_json_from(timeout=2)
    assert event["type"] == "post.new" and event["parent_id"] == root.pk
    await socket.disconnect()
    outsider = await open_socket(people.carol)
    await outsider.connect()
    await outsider.receive_json_from()
    await outsider.send_json_to(
        {"type": "subscribe", "stream": "thread", "id": root.pk}
    )
    assert (await outsider.receive_json_from())["error"] == "not found"
    await outsider.disconnect()


async def test_private_messages_reach_only_participants(people):
    conversation = await sync_to_async(services.conversation_start)(
        by=people.alice, people=[people.bob]
    )
    bob = await connected(people.bob, "conversation", conversation.pk)
    carol = await connected(people.carol)
    await sync_to_async(services.message_send)(
        conversation=conversation, by=people.alice, body="psst"
    )
    events = [await bob.receive_json_from(timeout=2) for _ in range(2)]
    message = next(e for e in events if e["type"] == "message.new")
    assert "psst" in message["html"]
    counts = next(e for e in events if e["type"] == "counts")
    assert counts["messages"] == 1
    assert await nothing_arrives(carol)
    await bob.disconnect()
    await carol.disconnect()


async def test_non_participant_cannot_subscribe_to_a_conversation(people):
    conversation = await sync_to_async(services.conversation_start)(
        by=people.alice, people=[people.bob]
    )
    socket = await open_socket(people.carol)
    await socket.connect()
    await socket.receive_json_from()
    await socket.send_json_to(
        {"type": "subscribe", "stream": "conversation", "id": conversation.pk}
    )
    assert (await socket.receive_json_from())["error"] == "not found"
    await socket.send_json_to({"type": "typing", "conversation": conversation.pk})
    assert (await socket.receive_json_from())["error"] == "not found"
    await socket.disconnect()


async def test_typing_indicator_reaches_the_other_participant(people):
    conversation = await sync_to_async(services.conversation_start)(
        by=people.alice, people=[people.bob]
    )
    alice = await connected(people.alice, "conversation", conversation.pk)
    bob = await connected(people.bob, "conversation", conversation.pk)
    await alice.send_json_to({"type": "typing", "conversation": conversation.pk})
    event = await bob.receive_json_from(timeout=2)
    assert event == {
        "type": "typing",
        "conversation": conversation.pk,
        "name": "Alice Martin",
    }
    assert await nothing_arrives(alice)
    await alice.disconnect()
    await bob.disconnect()


async def test_catch_up_of_a_conversation(people):
    conversation = await sync_to_async(services.conversation_start)(
        by=people.alice, people=[people.bob], body="one"
    )
    first = await sync_to_async(lambda: conversation.messages.get().pk)()
    await sync_to_async(services.message_send)(
        conversation=conversation, by=people.alice, body="two"
    )
    socket = await connected(people.bob, "conversation", conversation.pk, since=first)
    event = await socket.receive_json_from(timeout=2)
    assert event["type"] == "message.new" and "two" in event["html"]
    assert (await socket.receive_json_from(timeout=2))["type"] == "caught_up"
    await socket.disconnect()


async def test_ending_sessions_closes_the_socket(people):
    socket = await connected(people.bob)
    await sync_to_async(sessions_cut)(user=people.bob)
    output = await socket.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_logging_out_closes_that_sessions_socket(people):
    from django.contrib.auth import logout
    from django.test import RequestFactory

    cookie = await sync_to_async(session_cookie)(people.bob)
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )
    assert (await socket.connect())[0]
    await socket.receive_json_from()

    def log_out():
        from importlib import import_module

        request = RequestFactory().post("/accounts/logout/")
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(cookie)
        request.user = people.bob
        logout(request)

    await sync_to_async(log_out)()
    assert await socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_bearer_token_opens_a_socket_and_revocation_closes_it(people, settings):
    from members.services import token_create, token_revoke

    settings.MESSAGING_WS_RECHECK_SECONDS = 0.1
    token, raw = await sync_to_async(token_create)(user=people.bob, name="phone")
    socket = await open_socket(headers=[(b"authorization", f"Bearer {raw}".encode())])
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "hello"
    await sync_to_async(token_revoke)(token=token, by=people.bob)
    assert await socket.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_a_bad_token_is_refused(people):
    socket = await open_socket(headers=[(b"authorization", b"Bearer mlg_nope")])
    ok, code = await socket.connect()
    assert (ok, code) == (False, 4401)


async def test_a_disabled_account_is_closed_at_the_next_check(people, settings):
    from members.models import User

    settings.MESSAGING_WS_RECHECK_SECONDS = 0.1
    socket = await connected(people.bob)
    await sync_to_async(User.objects.filter(pk=people.bob.pk).update)(is_active=False)
    assert await socket.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_bad_messages_get_an_error_not_a_crash(people):
    socket = await open_socket(people.bob)
    await socket.connect()
    await socket.receive_json_from()
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from())["type"] == "error"
    await socket.send_json_to({"type": "subscribe", "stream": "nope"})
    assert (await socket.receive_json_from())["error"] == "bad subscription"
    await socket.send_json_to({"type": "subscribe", "stream": "unit", "id": "1; drop"})
    assert (await socket.receive_json_from())["error"] == "bad subscription"
    await socket.send_json_to(["a list"])
    assert (await socket.receive_json_from())["type"] == "error"
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from())["type"] == "pong"
    await socket.disconnect()


async def test_foreign_origin_is_refused(people):
    cookie = await sync_to_async(session_cookie)(people.bob)
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"host", b"testserver"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )
    ok, _code = await socket.connect()
    assert not ok


# --- The socket follows its member --------------------------------------------------


async def resynced(socket) -> None:
    """The socket rebuilt its rights and subscriptions and asks the tab to
    resubscribe (what the tab does next: `live.js`)."""
    event = await socket.receive_json_from(timeout=2)
    assert event["type"] == "resync"
    while not await socket.receive_nothing(timeout=0.3):  # one per row changed
        assert (await socket.receive_json_from())["type"] == "resync"


async def test_a_transferred_member_gets_the_new_cells_posts_not_the_old(
    tree, people, post_as
):
    from members.services import membership_transfer

    bob = await connected(people.bob)
    await sync_to_async(membership_transfer)(
        member=people.bob, to_cell=tree.cell_a1y, by=people.fed_secretary
    )
    await resynced(bob)
    await sync_to_async(post_as)(people.alice, "old cell only")
    assert await nothing_arrives(bob)
    await sync_to_async(post_as)(people.carol, "new cell news")
    event = await bob.receive_json_from(timeout=2)
    assert "new cell news" in event["html"]
    await bob.disconnect()


async def test_a_demoted_adherent_no_longer_gets_party_posts(tree, people, post_as):
    from members.models import Membership

    bob = await connected(people.bob)

    def demote():
        membership = Membership.objects.get(user=people.bob, ended_on__isnull=True)
        membership.status = Membership.Status.SYMPATHISER
        membership.save()

    await sync_to_async(demote)()
    await resynced(bob)
    await sync_to_async(post_as)(
        people.fed_secretary, "for the party", Audience.UNIT_TREE, tree.fed_a
    )
    assert await nothing_arrives(bob)
    await bob.disconnect()


async def test_an_officer_whose_office_ended_no_longer_gets_officers_posts(
    tree, people, post_as
):
    from members.models import Role

    officer = await connected(people.officer)

    def end_office():
        role = Role.objects.get(user=people.officer, ended_on__isnull=True)
        role.ended_on = role.started_on
        role.save()

    await sync_to_async(end_office)()
    await resynced(officer)
    await sync_to_async(post_as)(
        people.fed_secretary, "officers only", Audience.OFFICERS, tree.section_a1
    )
    assert await nothing_arrives(officer)
    await officer.disconnect()


async def test_a_member_whose_membership_ended_is_closed(tree, people):
    from members.services import membership_end

    bob = await connected(people.bob)
    await sync_to_async(membership_end)(member=people.bob, by=people.fed_secretary)
    while True:
        event = await bob.receive_output(timeout=2)
        if event["type"] == "websocket.close":
            break
    assert event["code"] == 4401


async def test_a_blocked_member_no_longer_gets_the_blockers_posts(people, post_as):
    bob = await connected(people.bob)
    await sync_to_async(services.relation_set)(
        owner=people.alice, target=people.bob, kind="block"
    )
    await resynced(bob)
    await sync_to_async(post_as)(people.alice, "not for bob any more")
    assert await nothing_arrives(bob)
    await bob.disconnect()


async def test_a_group_left_is_left_by_the_socket(people, post_as, health_group):
    from federation.services import group_leave

    alice = await connected(people.alice, "group", health_group.pk)
    await sync_to_async(group_leave)(group=health_group, user=people.alice)
    event = await alice.receive_json_from(timeout=2)
    assert (event["type"], event["error"]) == ("error", "not found")
    await sync_to_async(post_as)(
        people.erin, "group after alice", Audience.GROUP, group=health_group
    )
    assert await nothing_arrives(alice)
    await alice.disconnect()


async def test_a_cached_copy_of_an_ended_session_opens_no_socket(people):
    from django.core.cache import cache

    from organising import sessions

    def ended_with_copy_left() -> str:
        key = session_cookie(people.bob)
        store = sessions.SessionStore(key)
        store.load()
        copy = cache.get(sessions.KEY_PREFIX + key)
        store.delete()
        cache.set(sessions.KEY_PREFIX + key, copy)  # the delete the cache missed
        return key

    key = await sync_to_async(ended_with_copy_left)()
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()),
        ],
    )
    ok, code = await socket.connect()
    assert not ok
    assert code == 4401


async def test_with_the_cache_down_a_socket_opens(people, redis_down):
    socket = await connected(people.bob)
    await socket.disconnect()


async def _next_post_event(socket) -> dict:
    while True:
        event = await socket.receive_json_from(timeout=2)
        if event["type"] != "counts":
            return event


async def test_officers_answers_reach_the_member_who_wrote_to_them_live(
    tree, people, post_as
):
    """Carol (no office) writes to section A1's officers; the officer's answer in her
    thread reaches her thread socket live, as her page shows it, and on catch-up;
    Bob (not an officer, not her) may not follow the thread at all."""
    root = await sync_to_async(post_as)(
        people.carol, "to the officers", Audience.OFFICERS, tree.section_a1
    )
    carol = await connected(people.carol, "thread", root.pk)
    officer = await connected(people.officer, "thread", root.pk)
    reply = await sync_to_async(services.post_create)(
        author=people.officer, body="our answer", parent=root
    )
    event = await _next_post_event(carol)  # her badge's counts come too
    assert event["type"] == "post.new" and event["id"] == reply.pk
    assert "our answer" in event["html"]
    assert (await _next_post_event(officer))["id"] == reply.pk
    await carol.disconnect()
    # Reconnecting, she catches up on the answer and is not told it was removed.
    again = await connected(
        people.carol, "thread", root.pk, since=root.pk, shown=[reply.pk]
    )
    caught = await again.receive_json_from(timeout=2)
    assert caught["type"] == "post.new" and caught["id"] == reply.pk
    assert (await again.receive_json_from(timeout=2))["type"] == "caught_up"
    bob = await open_socket(people.bob)
    await bob.connect()
    await bob.receive_json_from()
    await bob.send_json_to({"type": "subscribe", "stream": "thread", "id": root.pk})
    assert (await bob.receive_json_from())["error"] == "not found"
    for socket in (again, officer, bob):
        await socket.disconnect()
