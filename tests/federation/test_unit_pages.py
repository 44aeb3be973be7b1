"""Unit and group pages say what a member can do there: the unit's posts, its
officers, the groups they may join (or why not), each group's timeline."""

import pytest

from federation import services
from members.models import Membership, Role


@pytest.fixture
def groups(tree, cell_secretary):
    return {
        "health": services.group_create(
            unit=tree.cell_a1x, name="Santé", by=cell_secretary
        ),
        "open_to_all": services.group_create(
            unit=tree.cell_a1x,
            name="Accueil",
            by=cell_secretary,
            sympathisers_welcome=True,
        ),
    }


def test_a_unit_page_links_its_posts_and_names_its_officers(
    tree, cell_secretary, member, client_as
):
    page = client_as(member).get(f"/units/{tree.cell_a1x.slug}/").content.decode()
    assert f'href="/timeline/units/{tree.cell_a1x.slug}/"' in page
    assert "Officers" in page and cell_secretary.display_name in page


def test_the_public_does_not_see_who_the_officers_are(tree, cell_secretary, client):
    page = client.get(f"/units/{tree.cell_a1x.slug}/").content.decode()
    assert cell_secretary.display_name not in page
    assert f'href="/timeline/units/{tree.cell_a1x.slug}/"' in page


def test_a_member_sees_how_to_join_each_group_and_its_timeline_once_in(
    tree, groups, member, client_as
):
    client = client_as(member)
    page = client.get(f"/units/{tree.cell_a1x.slug}/").content.decode()
    assert page.count('action="/groups/') == 2  # a join button per group
    client.post(f"/groups/{groups['health'].slug}/join/")
    page = client.get(f"/units/{tree.cell_a1x.slug}/").content.decode()
    assert f'href="/timeline/groups/{groups["health"].slug}/"' in page
    detail = client.get(f"/groups/{groups['health'].slug}/").content.decode()
    assert f'href="/timeline/groups/{groups["health"].slug}/"' in detail


def test_a_sympathiser_reads_why_they_cannot_join_an_adherents_group(
    tree, groups, make_member, client_as
):
    sympathiser = make_member(tree.cell_a1x, status=Membership.Status.SYMPATHISER)
    client = client_as(sympathiser)
    detail = client.get(f"/groups/{groups['health'].slug}/").content.decode()
    assert "This group is for adherents: sympathisers cannot join it." in detail
    assert 'action="/groups/' not in detail
    welcome = client.get(f"/groups/{groups['open_to_all'].slug}/").content.decode()
    assert f'action="/groups/{groups["open_to_all"].slug}/join/"' in welcome


def test_a_member_of_another_cell_reads_which_unit_the_group_is_for(
    tree, groups, make_member, client_as
):
    elsewhere = make_member(tree.cell_b1x)
    detail = client_as(elsewhere).get(f"/groups/{groups['health'].slug}/")
    assert f"for the members of {tree.cell_a1x.name}" in detail.content.decode()


def test_the_officers_list_follows_the_roles(tree, make_member, member, client_as):
    treasurer = make_member(
        tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)], display_name="Tom"
    )
    page = client_as(member).get(f"/units/{tree.cell_a1x.slug}/").content.decode()
    assert "Tom" in page and treasurer.display_name == "Tom"


def test_my_units_offers_every_group_of_my_units_i_am_not_in(
    tree, groups, section_secretary, member, client_as
):
    section_group = services.group_create(
        unit=tree.section_a1, name="Jeunes", by=section_secretary
    )
    client = client_as(member)
    client.post(f"/groups/{groups['health'].slug}/join/")
    page = client.get("/units/").content.decode()
    assert "Groups you may join" in page
    assert f'action="/groups/{groups["open_to_all"].slug}/join/"' in page
    assert f'action="/groups/{section_group.slug}/join/"' in page
    assert f'action="/groups/{groups["health"].slug}/join/"' not in page  # in it
