"""The live socket: who connects, what each socket receives, catch-up after a
reconnection, closing when access ends."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from federation.models import Audience
from members.services import sessions_cut
from organising.asgi import application
from organising.messaging import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


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


async def connected(user, stream="home", ref=None, since=0):
    socket = await open_socket(user)
    ok, _code = await socket.connect()
    assert ok
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    await socket.send_json_to(
        {"type": "subscribe", "stream": stream, "id": ref, "since": since}
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
