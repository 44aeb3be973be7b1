"""A NUL byte in an address is a 400, never a 500; what a signed-in person is
shown is marked private and is not stored by the browser or a proxy."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/messages/new/?q=%00",
        "/messages/new/?q=bo%00b",
        "/timeline/tags/ly%00on/",
        "/api/v1/timelines/tags/ly%00on/",
        "/units/?q=%00",
    ],
)
def test_a_nul_byte_in_the_address_is_a_400(member, client_as, path):
    response = client_as(member).get(path)
    assert response.status_code == 400


def test_the_api_says_so_in_json(member, api_as):
    response = api_as(member).get("/api/v1/timelines/tags/%00/")
    assert response.status_code == 400 and "detail" in response.json()


@pytest.mark.parametrize("path", ["/timeline/", "/me/", "/api/v1/me/", "/messages/"])
def test_signed_in_pages_are_private_and_not_stored(member, client_as, path):
    response = client_as(member).get(path)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def test_token_answers_are_private(member, client):
    from members.services import token_create

    _token, raw = token_create(user=member, name="phone")
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_public_pages_for_visitors_are_not_marked_private(db, client):
    response = client.get("/")
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
