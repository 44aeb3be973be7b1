"""The offices API (/api/v1/units/{slug}/offices/): who holds what at a unit; a
secretary of the unit or above gives and ends offices. 400 names the field (and does
not tell an unknown id from a member elsewhere), 403 for an officer who sees the
unit's members but may not give offices, 404 for those who do not see them."""

import uuid

import pytest

from federation import access
from members.models import Role
from organising.audit.models import AuditEntry


def offices_url(unit) -> str:
    return f"/api/v1/units/{unit.slug}/offices/"


@pytest.fixture
def bob(tree, make_member):
    return make_member(tree.cell_a1x, display_name="Bob Durand")


def test_a_secretary_gives_an_office_and_ends_it(tree, cell_secretary, bob, api_as):
    client = api_as(cell_secretary)
    given = client.post(
        offices_url(tree.cell_a1x),
        {"member": str(bob.public_id), "kind": "treasurer"},
        format="json",
    )
    assert given.status_code == 201
    body = given.json()
    assert body["kind"] == "treasurer" and body["unit"] == tree.cell_a1x.slug
    assert body["member"] == {
        "public_id": str(bob.public_id),
        "display_name": "Bob Durand",
    }
    assert body["ended_on"] is None
    access.forget_viewer(bob)
    assert access.can(bob, "dues.manage", tree.cell_a1x)
    again = client.post(
        offices_url(tree.cell_a1x),
        {"member": str(bob.public_id), "kind": "treasurer"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert AuditEntry.objects.filter(action="role.assign").count() == 1
    listed = client.get(offices_url(tree.cell_a1x)).json()
    assert {(row["kind"], row["member"]["public_id"]) for row in listed} == {
        ("secretary", str(cell_secretary.public_id)),
        ("treasurer", str(bob.public_id)),
    }
    ended = client.post(f"{offices_url(tree.cell_a1x)}{body['id']}/end/")
    assert ended.status_code == 200 and ended.json()["ended_on"] is not None
    access.forget_viewer(bob)
    assert not access.can(bob, "dues.manage", tree.cell_a1x)
    assert AuditEntry.objects.filter(action="role.end").count() == 1


def test_a_section_secretary_gives_an_office_in_a_cell_below(
    tree, section_secretary, bob, api_as
):
    response = api_as(section_secretary).post(
        offices_url(tree.cell_a1x),
        {"member": str(bob.public_id), "kind": "officer"},
        format="json",
    )
    assert response.status_code == 201


def test_bad_input_is_400_naming_the_field(tree, cell_secretary, bob, api_as):
    client = api_as(cell_secretary)
    url = offices_url(tree.cell_a1x)
    for data, field in [
        ({"kind": "officer"}, "member"),
        ({"member": "not-a-uuid", "kind": "officer"}, "member"),
        ({"member": str(bob.public_id)}, "kind"),
        ({"member": str(bob.public_id), "kind": "president"}, "kind"),
    ]:
        response = client.post(url, data, format="json")
        assert response.status_code == 400, data
        assert field in response.json(), data
    assert not Role.objects.filter(user=bob).exists()


def test_an_unknown_id_and_a_member_elsewhere_get_the_same_400(
    tree, cell_secretary, make_member, api_as
):
    client = api_as(cell_secretary)
    url = offices_url(tree.cell_a1x)
    answers = [
        client.post(url, {"member": public_id, "kind": "officer"}, format="json")
        for public_id in (
            str(uuid.uuid4()),
            str(make_member(tree.cell_b1x).public_id),  # another federation
            str(make_member(tree.cell_a1x, status="sympathiser").public_id),
            str(make_member(None).public_id),  # former
        )
    ]
    assert {a.status_code for a in answers} == {400}
    assert len({str(a.json()) for a in answers}) == 1
    assert "member" in answers[0].json()


def test_forbidden_is_403_where_the_caller_sees_the_members_404_elsewhere(
    tree, cell_secretary, bob, make_member, api_as
):
    officer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])
    sibling_secretary = make_member(
        tree.cell_a1y, roles=[(tree.cell_a1y, Role.Kind.SECRETARY)]
    )
    data = {"member": str(bob.public_id), "kind": "treasurer"}
    url = offices_url(tree.cell_a1x)
    assert api_as(officer).post(url, data, format="json").status_code == 403
    assert api_as(bob).post(url, data, format="json").status_code == 404
    assert api_as(sibling_secretary).post(url, data, format="json").status_code == 404
    assert (
        api_as(cell_secretary)
        .post("/api/v1/units/no-such-unit/offices/", data, format="json")
        .status_code
        == 404
    )
    role = cell_secretary.roles.get()
    end = f"{url}{role.pk}/end/"
    assert api_as(officer).post(end).status_code == 403
    assert api_as(sibling_secretary).post(end).status_code == 404
    # An office of another unit is not found through this unit's address.
    other = sibling_secretary.roles.get()
    assert api_as(cell_secretary).post(f"{url}{other.pk}/end/").status_code == 404
    assert Role.objects.filter(ended_on__isnull=False).count() == 0


def test_who_reads_a_units_offices(tree, cell_secretary, make_member, api_as, client):
    url = offices_url(tree.cell_a1x)
    assert api_as(make_member(tree.cell_b1x)).get(url).status_code == 200
    assert api_as(make_member(None)).get(url).status_code == 404  # former
    assert client.get(url).status_code in (401, 403)  # anonymous: authenticate
