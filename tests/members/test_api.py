"""The API as a client sees it: auth by token or session, JSON errors naming the
field, 401/403/404, and bounded query counts."""

import pytest
from rest_framework.test import APIClient

from members import services
from members.models import Membership


@pytest.fixture
def bearer():
    def client_for(secret: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for


def test_anonymous_me_is_401_with_a_bearer_challenge(db):
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_authenticates_and_revoking_it_cuts_access_at_once(member, bearer):
    token, secret = services.token_create(user=member, name="script")
    client = bearer(secret)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == member.email
    assert me.json()["memberships"][0]["status"] == "adherent"

    services.token_revoke(token=token, by=member)
    assert client.get("/api/v1/me/").status_code == 401


def test_garbage_token_is_401(db, bearer):
    assert bearer("mlg_nope").get("/api/v1/me/").status_code == 401


def test_units_list_and_detail_with_ancestors_and_children(
    tree, member, api_as, django_assert_max_num_queries
):
    client = api_as(member)
    # Session, user, allauth's session tracking, then the page and its parents' slugs.
    with django_assert_max_num_queries(10):
        listing = client.get("/api/v1/units/")
    assert listing.status_code == 200
    slugs = [u["slug"] for u in listing.json()["results"]]
    assert tree.national.slug == slugs[0] and tree.cell_b1x.slug in slugs
    detail = client.get(f"/api/v1/units/{tree.section_a1.slug}/").json()
    assert [a["slug"] for a in detail["ancestors"]] == [
        tree.national.slug,
        tree.fed_a.slug,
    ]
    assert {c["slug"] for c in detail["children"]} == {
        tree.cell_a1x.slug,
        tree.cell_a1y.slug,
    }
    assert detail["parent"] == tree.fed_a.slug
    assert detail["uri"].startswith("http")


def test_unit_members_for_officers_only(tree, member, section_secretary, api_as):
    """A unit's member list is unseen without an office there: 404, as for a
    missing unit (invisible answers 404)."""
    assert (
        api_as(member).get(f"/api/v1/units/{tree.section_a1.slug}/members/").status_code
        == 404
    )
    response = api_as(section_secretary).get(
        f"/api/v1/units/{tree.section_a1.slug}/members/"
    )
    assert response.status_code == 200
    emails = {row["email"] for row in response.json()["results"]}
    assert {member.email, section_secretary.email} <= emails


def test_unit_members_query_count_does_not_grow_with_members(
    tree, make_member, section_secretary, api_as, django_assert_max_num_queries
):
    for _ in range(30):
        make_member(tree.cell_a1y)
    client = api_as(section_secretary)
    with django_assert_max_num_queries(15):
        response = client.get(f"/api/v1/units/{tree.section_a1.slug}/members/")
    assert len(response.json()["results"]) == 31


def test_invitation_with_bad_email_answers_400_naming_the_field(
    tree, cell_secretary, api_as
):
    response = api_as(cell_secretary).post(
        "/api/v1/invitations/",
        {"unit": tree.cell_a1x.slug, "email": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert "email" in response.json()


def test_invitation_into_a_section_answers_400(tree, section_secretary, api_as):
    response = api_as(section_secretary).post(
        "/api/v1/invitations/",
        {"unit": tree.section_a1.slug, "email": "x@example.org"},
        format="json",
    )
    assert response.status_code == 400 and "unit" in response.json()


def test_invitation_outside_my_units_is_403(tree, cell_secretary, api_as):
    response = api_as(cell_secretary).post(
        "/api/v1/invitations/", {"unit": tree.cell_b1x.slug, "email": "x@example.org"}
    )
    assert response.status_code == 403


def test_invitation_created(tree, cell_secretary, api_as):
    response = api_as(cell_secretary).post(
        "/api/v1/invitations/",
        {"unit": tree.cell_a1x.slug, "email": "x@example.org", "status": "sympathiser"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "sympathiser"


def test_transfer_outside_my_units_is_400_and_changes_nothing(
    tree, cell_secretary, member, api_as
):
    response = api_as(cell_secretary).post(
        f"/api/v1/memberships/{member.public_id}/transfer/",
        {"to_cell": tree.cell_b1x.slug},
        format="json",
    )
    assert response.status_code == 400
    assert "to_cell" in response.json()
    assert Membership.objects.current().get(user=member).unit == tree.cell_a1x


def test_transfer_of_someone_outside_my_units_is_404(
    tree, cell_secretary, make_member, api_as
):
    stranger = make_member(tree.cell_b1x)
    response = api_as(cell_secretary).post(
        f"/api/v1/memberships/{stranger.public_id}/transfer/",
        {"to_cell": tree.cell_a1x.slug},
        format="json",
    )
    assert response.status_code == 404


def test_transfer_and_end_through_the_api(tree, section_secretary, member, api_as):
    client = api_as(section_secretary)
    moved = client.post(
        f"/api/v1/memberships/{member.public_id}/transfer/",
        {"to_cell": tree.cell_a1y.slug},
        format="json",
    )
    assert moved.status_code == 201 and moved.json()["unit"] == tree.cell_a1y.slug
    ended = client.post(f"/api/v1/memberships/{member.public_id}/end/")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "left"


def test_me_patch_validates_shared_fields(member, api_as):
    client = api_as(member)
    bad = client.patch("/api/v1/me/", {"shared_fields": ["password"]}, format="json")
    assert bad.status_code == 400 and "shared_fields" in bad.json()
    good = client.patch(
        "/api/v1/me/", {"shared_fields": ["phone"], "commune": "Lyon"}, format="json"
    )
    assert good.status_code == 200 and good.json()["commune"] == "Lyon"


def test_tokens_api_creates_lists_and_revokes(member, api_as, bearer):
    client = api_as(member)
    created = client.post("/api/v1/tokens/", {"name": "cli"}, format="json").json()
    assert bearer(created["secret"]).get("/api/v1/me/").status_code == 200
    assert [t["name"] for t in client.get("/api/v1/tokens/").json()] == ["cli"]
    assert client.delete(f"/api/v1/tokens/{created['token']['id']}/").status_code == 204
    assert bearer(created["secret"]).get("/api/v1/me/").status_code == 401


def test_openapi_schema_is_served(db, client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/units/" in response.content


def test_me_patch_takes_json_only(member, api_as):
    """A form body (empty or not a form at all) is refused, not read as 'no change'."""
    client = api_as(member)
    refused = client.patch("/api/v1/me/", {"display_name": "Autre"}, format="multipart")
    assert refused.status_code == 415
    member.refresh_from_db()
    assert member.display_name != "Autre"
