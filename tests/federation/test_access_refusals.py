"""The one rule for refusals (federation/access.py): invisible answers 404, forbidden
answers 403. What exists only for an office (a unit's member list, its dues pages,
report and ledger, its audit, an event's attendees) is unseen without it, on pages and
in the API, and answers like a missing unit; an officer who sees the page but lacks
the office that acts there gets 403. Member ids never tell whether they are members."""

import uuid

import pytest
from django.urls import reverse

from federation import access
from members.models import Role
from tests.organising.dues.conftest import make_schedule

PERSONAS = ["secretary", "officer", "member", "sibling", "outsider", "former"]


@pytest.fixture
def people(tree, make_member):
    national_treasurer = make_member(
        tree.cell_b1x, roles=[(tree.national, Role.Kind.TREASURER)]
    )
    make_schedule(national_treasurer)
    return {
        "secretary": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
        ),
        "officer": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)]
        ),
        "member": make_member(tree.cell_a1x),
        "sibling": make_member(
            tree.cell_a1y, roles=[(tree.cell_a1y, Role.Kind.SECRETARY)]
        ),
        "outsider": make_member(tree.cell_b1x),
        "former": make_member(None),
    }


# page or API path on cell A1x -> the status each persona gets.
READS = {
    "/units/{cell}/members/": {"secretary": 200, "officer": 200},
    "/api/v1/units/{cell}/members/": {"secretary": 200, "officer": 200},
    "/units/{cell}/audit/": {"secretary": 200},
    "/dues/u/{cell}/": {"secretary": 200},
    "/dues/u/{cell}/report/": {"secretary": 200},
    "/api/v1/dues/units/{cell}/report/": {"secretary": 200},
    "/api/v1/dues/units/{cell}/members/": {"secretary": 200},
    "/api/v1/dues/payments/?unit={cell}": {"secretary": 200},
    # The officer sees the member list, so the export is forbidden to them (403);
    # the others do not see the list at all.
    "/units/{cell}/members.csv": {"secretary": 200, "officer": 403},
}


@pytest.mark.parametrize("path", sorted(READS))
def test_office_only_content_is_unseen_without_the_office(
    tree, people, client_as, path
):
    url = path.format(cell=tree.cell_a1x.slug)
    got = {name: client_as(user).get(url).status_code for name, user in people.items()}
    expected = {name: READS[path].get(name, 404) for name in PERSONAS}
    assert got == expected
    # And the same answer as for a unit that does not exist.
    missing = path.format(cell="no-such-unit")
    assert client_as(people["secretary"]).get(missing).status_code == 404


def test_dues_pages_known_by_their_url(tree, people, client_as):
    """The resolved names say the same (the list above is spelled out)."""
    assert reverse("dues:unit", args=[tree.cell_a1x.slug]) == (
        f"/dues/u/{tree.cell_a1x.slug}/"
    )
    assert reverse("members:unit_members_export", args=[tree.cell_a1x.slug]) == (
        f"/units/{tree.cell_a1x.slug}/members.csv"
    )


def test_dues_units_page_is_unseen_without_an_office_that_reads_dues(people, client_as):
    assert client_as(people["member"]).get("/dues/units/").status_code == 404
    assert client_as(people["officer"]).get("/dues/units/").status_code == 404
    assert client_as(people["secretary"]).get("/dues/units/").status_code == 302


def test_giving_an_office_seen_but_forbidden_is_403_unseen_is_404(
    tree, people, make_member, client_as
):
    url = f"/units/{tree.cell_a1x.slug}/offices/"
    data = {"email": make_member(tree.cell_a1x).email, "kind": Role.Kind.TREASURER}
    got = {
        name: client_as(user).post(url, data).status_code
        for name, user in reversed(people.items())  # the secretary last
    }
    assert got == {
        "secretary": 302,
        "officer": 403,  # sees the members page and its offices, may not give one
        "member": 404,
        "sibling": 404,
        "outsider": 404,
        "former": 404,
    }


def test_the_rule_is_the_policy_s(tree, people):
    """`refusal` answers 404 for unseen content, 403 for a seen object."""
    cell = tree.cell_a1x
    assert isinstance(
        access.refusal(people["member"], "unit.members.view", cell), access.Http404
    )
    assert isinstance(
        access.refusal(people["officer"], "member.view_personal", cell),
        access.PermissionDenied,
    )
    assert isinstance(
        access.refusal(people["member"], "member.invite", cell), access.PermissionDenied
    )
    assert isinstance(
        access.refusal(people["officer"], "dues.manage", cell), access.Http404
    )
    # A secretary reads the cell's dues report, so recording a payment is forbidden.
    assert isinstance(
        access.refusal(people["secretary"], "dues.manage", cell),
        access.PermissionDenied,
    )


def test_dues_api_does_not_tell_whether_an_id_is_a_member(
    tree, people, make_member, api_as
):
    """A treasurer of cell A1x: an unknown id, a member of another federation and a
    former member of elsewhere answer the same, on every endpoint that takes one."""
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    client = api_as(treasurer)
    ids = {
        "unknown": str(uuid.uuid4()),
        "outsider": str(people["outsider"].public_id),
        "sibling": str(people["sibling"].public_id),
    }
    payment = {"amount_cents": 1000, "paid_on": "2026-01-05", "method": "cash"}
    answers = {}
    for name, public_id in ids.items():
        posted = client.post(
            "/api/v1/dues/payments/", {**payment, "member": public_id}, format="json"
        )
        corrected = client.post(
            f"/api/v1/dues/members/{public_id}/corrections/",
            {"period": "2026-01", "reason": "mistake"},
            format="json",
        )
        listed = client.get(
            "/api/v1/dues/payments/", {"unit": tree.cell_a1x.slug, "member": public_id}
        )
        answers[name] = (
            posted.status_code,
            posted.json(),
            corrected.status_code,
            corrected.json(),
            listed.status_code,
            listed.json()["results"],
        )
    assert answers["unknown"] == answers["outsider"] == answers["sibling"]
    assert answers["unknown"][0] == 400 and "member" in answers["unknown"][1]
    assert answers["unknown"][2] == 404


def test_dues_list_with_a_malformed_member_id_is_not_an_error(
    tree, make_member, api_as
):
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    response = api_as(treasurer).get(
        "/api/v1/dues/payments/", {"unit": tree.cell_a1x.slug, "member": "x' OR 1=1"}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
