"""Thematic groups: open ones are joined at once, closed ones on approval."""

import pytest
from django.core.exceptions import ValidationError

from federation import services
from federation.models import GroupMembership


@pytest.fixture
def groups(tree, section_secretary):
    return (
        services.group_create(unit=tree.section_a1, name="Santé", by=section_secretary),
        services.group_create(
            unit=tree.section_a1, name="Jeunes", by=section_secretary, is_open=False
        ),
    )


def test_member_below_joins_an_open_group_at_once(groups, member):
    open_group, _closed = groups
    assert services.group_join(group=open_group, user=member).status == "active"


def test_closed_group_needs_an_admin_approval(groups, member, section_secretary):
    _open, closed = groups
    request = services.group_join(group=closed, user=member)
    assert request.status == "pending"
    services.group_approve(membership=request, by=section_secretary)
    assert GroupMembership.objects.get(pk=request.pk).status == "active"


def test_member_of_another_section_cannot_join(groups, make_member, tree):
    open_group, _closed = groups
    with pytest.raises(ValidationError):
        services.group_join(group=open_group, user=make_member(tree.cell_a2x))


def test_group_pages(groups, member, client_as):
    open_group, closed = groups
    client = client_as(member)
    client.post(f"/groups/{open_group.slug}/join/")
    client.post(f"/groups/{closed.slug}/join/")
    page = client.get("/units/").content.decode()
    assert "Santé" in page and "Jeunes" in page
    assert client.post(f"/groups/{closed.slug}/approve/1/").status_code in (403, 404)


def test_sympathiser_joins_only_groups_open_to_sympathisers(
    tree, section_secretary, make_member
):
    from federation import access
    from federation.models import Audience

    sympathiser = make_member(tree.cell_a1x, status="sympathiser")
    members_only = services.group_create(
        unit=tree.section_a1, name="Bureau élargi", by=section_secretary
    )
    welcoming = services.group_create(
        unit=tree.section_a1,
        name="Sympathisants Lyon",
        by=section_secretary,
        sympathisers_welcome=True,
    )
    with pytest.raises(ValidationError):
        services.group_join(group=members_only, user=sympathiser)
    services.group_join(group=welcoming, user=sympathiser)
    assert access.in_audience(sympathiser, Audience.GROUP, group=welcoming)
    assert not access.in_audience(sympathiser, Audience.PARTY)


def test_secretary_edits_the_territory_and_the_join_page_finds_the_cell(
    tree, section_secretary, client_as, client
):
    from federation.services import units_for_postcode

    secretary = client_as(section_secretary)
    url = f"/units/{tree.cell_a1y.slug}/territory/"
    bad = secretary.post(url, {"commune": "Lyon 2e", "postcode": "6902"})
    assert bad.status_code == 200 and bad.context["form"].errors["postcode"]
    secretary.post(
        url, {"commune": "Lyon 2e", "postcode": "69002", "insee_code": "69382"}
    )
    assert units_for_postcode("69002")["cell"] == tree.cell_a1y
    territory = tree.cell_a1y.territories.get()
    secretary.post(f"{url}{territory.pk}/remove/")
    assert units_for_postcode("69002")["cell"] is None


def test_territory_of_another_section_is_forbidden(tree, section_secretary, client_as):
    response = client_as(section_secretary).get(
        f"/units/{tree.cell_b1x.slug}/territory/"
    )
    assert response.status_code == 403
