"""A native client opens /ws/ with its API token and no Origin header; a page of
another site still cannot open one with the visitor's cookie."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from members.services import token_create
from organising.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


def socket(headers) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/", headers=[(b"host", b"testserver"), *headers]
    )


def cookie_of(user) -> bytes:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


async def test_a_bearer_token_without_origin_connects(member):
    _token, raw = await sync_to_async(token_create)(user=member, name="phone")
    ws = socket([(b"authorization", f"Bearer {raw}".encode())])
    ok, _code = await ws.connect()
    assert ok
    assert (await ws.receive_json_from())["type"] == "hello"
    await ws.disconnect()


async def test_a_bad_token_without_origin_is_refused(member):
    ws = socket([(b"authorization", b"Bearer mlg_nope")])
    ok, _code = await ws.connect()
    assert not ok


async def test_a_cookie_from_another_site_is_refused(member):
    cookie = await sync_to_async(cookie_of)(member)
    ws = socket([(b"origin", b"https://evil.example"), (b"cookie", cookie)])
    ok, _code = await ws.connect()
    assert not ok


async def test_a_cookie_without_origin_is_refused(member):
    cookie = await sync_to_async(cookie_of)(member)
    ws = socket([(b"cookie", cookie)])
    ok, _code = await ws.connect()
    assert not ok


async def test_a_token_with_another_sites_origin_is_refused(member):
    _token, raw = await sync_to_async(token_create)(user=member, name="phone")
    ws = socket(
        [
            (b"origin", b"https://evil.example"),
            (b"authorization", f"Bearer {raw}".encode()),
        ]
    )
    ok, _code = await ws.connect()
    assert not ok
