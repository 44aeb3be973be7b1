"""Who sees which post, across the tree: in their home timeline, in the unit's
timeline and on the post's page. The matrix is the specification."""

import pytest
from django.contrib.auth.models import AnonymousUser

from federation.models import Audience
from members.models import Role
from organising.messaging import selectors

VIEWERS = [
    "alice",
    "bob",
    "carol",
    "dan",
    "erin",
    "officer",
    "fed_secretary",
    "sympathiser",
    "former",
]


@pytest.fixture
def national_officer(tree, make_member):
    return make_member(
        tree.cell_b1x,
        display_name="Nina National",
        roles=[(tree.national, Role.Kind.SECRETARY)],
    )


@pytest.fixture
def posts(tree, people, health_group, post_as, national_officer):
    """One post per kind of audience, published at several levels."""
    return {
        "cell": post_as(people.alice, "cell only", Audience.UNIT, tree.cell_a1x),
        "section_tree": post_as(
            people.officer, "section and below", Audience.UNIT_TREE, tree.section_a1
        ),
        "fed_tree": post_as(
            people.fed_secretary, "federation and below", Audience.UNIT_TREE, tree.fed_a
        ),
        "national_tree": post_as(
            national_officer, "national", Audience.UNIT_TREE, tree.national
        ),
        "party": post_as(people.erin, "whole party", Audience.PARTY),
        "public": post_as(people.dan, "public", Audience.PUBLIC),
        "group": post_as(people.alice, "group", Audience.GROUP, group=health_group),
        "officers": post_as(
            people.carol, "for officers", Audience.OFFICERS, tree.section_a1
        ),
    }


ALL_ADHERENTS = {"alice", "bob", "carol", "dan", "erin", "officer", "fed_secretary"}

# post -> who may see it at all (its page, any timeline).
CAN_SEE = {
    "cell": {"alice", "bob", "officer", "fed_secretary"},
    "section_tree": {"alice", "bob", "carol", "officer", "fed_secretary"},
    "fed_tree": {"alice", "bob", "carol", "dan", "officer", "fed_secretary"},
    "national_tree": ALL_ADHERENTS,
    "party": ALL_ADHERENTS,
    "public": set(VIEWERS),
    "group": {"alice", "erin"},
    "officers": {"carol", "officer", "fed_secretary"},
}

# post -> whose home timeline shows it (home cell and above, groups, own posts).
IN_HOME = {
    "cell": {"alice", "bob"},
    "section_tree": {"alice", "bob", "carol", "officer"},
    "fed_tree": {"alice", "bob", "carol", "dan", "officer", "fed_secretary"},
    "national_tree": ALL_ADHERENTS,
    "party": {"erin"},
    "public": {"dan", "fed_secretary"},
    "group": {"alice", "erin"},
    "officers": {"carol", "officer"},
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_home_timeline_matrix(viewer, people, posts):
    user = getattr(people, viewer)
    shown = {post.body for post in selectors.timeline_home(user).items}
    expected = {posts[name].body for name, who in IN_HOME.items() if viewer in who}
    assert shown == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_post_page_matrix(viewer, people, posts, client_as):
    client = client_as(getattr(people, viewer))
    for name, post in posts.items():
        response = client.get(f"/posts/{post.pk}/")
        expected = 200 if viewer in CAN_SEE[name] else 404
        assert response.status_code == expected, (name, viewer)


def test_anonymous_sees_only_public_posts(posts, client):
    assert {p.body for p in selectors.timeline_public(AnonymousUser()).items} == {
        "public"
    }
    response = client.get(f"/posts/{posts['public'].pk}/")
    assert response.status_code == 302  # thread pages ask to log in first
    assert client.get("/timeline/public/").status_code == 200


def test_unit_timeline_shows_what_the_unit_publishes_to_who_may_see_it(
    tree, people, posts
):
    assert [p.body for p in selectors.timeline_unit(people.dan, tree.fed_a).items] == [
        "federation and below"
    ]
    assert selectors.timeline_unit(people.erin, tree.fed_a).items == []
    # A child unit's post for its own members: officers above see it, siblings do not.
    assert [
        p.body for p in selectors.timeline_unit(people.officer, tree.cell_a1x).items
    ] == ["cell only"]
    assert selectors.timeline_unit(people.carol, tree.cell_a1x).items == []


def test_group_timeline_is_for_its_members(people, posts, health_group, client_as):
    assert [
        p.body for p in selectors.timeline_group(people.erin, health_group).items
    ] == ["group"]
    assert (
        client_as(people.bob).get(f"/timeline/groups/{health_group.slug}/").status_code
        == 404
    )
    assert (
        client_as(people.erin).get(f"/timeline/groups/{health_group.slug}/").status_code
        == 200
    )


def test_following_brings_a_members_visible_posts_home(people, posts):
    from organising.messaging import services

    services.relation_set(owner=people.alice, target=people.erin, kind="follow")
    services.relation_set(owner=people.alice, target=people.dan, kind="follow")
    shown = {p.body for p in selectors.timeline_home(people.alice).items}
    assert {"whole party", "public"} <= shown


def test_following_does_not_reveal_posts_outside_ones_audience(tree, people, post_as):
    from organising.messaging import services

    post_as(people.dan, "only my cell", Audience.UNIT, tree.cell_a2x)
    services.relation_set(owner=people.erin, target=people.dan, kind="follow")
    assert selectors.timeline_home(people.erin).items == []


def test_transfer_changes_what_the_home_timeline_shows(
    tree, people, posts, section_secretary
):
    from federation import access
    from members.services import membership_transfer

    membership_transfer(member=people.bob, to_cell=tree.cell_a1y, by=section_secretary)
    access.forget_viewer(people.bob)
    shown = {p.body for p in selectors.timeline_home(people.bob).items}
    assert "cell only" not in shown
    assert "section and below" in shown
