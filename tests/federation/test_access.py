"""The policy as a matrix: every office at every level against every unit action, on
the office's own unit, a child, the parent and a sibling; who sees which audience."""

import pytest
from django.core.exceptions import PermissionDenied

from federation import access
from federation.models import Audience
from members.models import Role

LEVELS = ["national", "fed_a", "section_a1", "cell_a1x"]
# For an office held at LEVELS[i]: (child, parent, sibling) in the fixture tree.
RELATIVES = {
    "national": ("fed_a", None, None),
    "fed_a": ("section_a1", "national", "fed_b"),
    "section_a1": ("cell_a1x", "fed_a", "section_a2"),
    "cell_a1x": (None, "section_a1", "cell_a1y"),
}
OFFICES = [Role.Kind.SECRETARY, Role.Kind.TREASURER, Role.Kind.OFFICER]


@pytest.mark.parametrize("action", sorted(access.UNIT_ACTIONS))
@pytest.mark.parametrize("office", OFFICES)
@pytest.mark.parametrize("level", LEVELS)
def test_office_grants_action_on_own_unit_and_below_only(
    tree, make_member, action, office, level
):
    unit = getattr(tree, level)
    holder = make_member(tree.cell_a1x, roles=[(unit, office)])
    granted = office in access.UNIT_ACTIONS[action]
    child, parent, sibling = RELATIVES[level]

    assert access.can(holder, action, unit) is granted
    if child:
        assert access.can(holder, action, getattr(tree, child)) is granted
    if parent:
        assert access.can(holder, action, getattr(tree, parent)) is False
    if sibling:
        assert access.can(holder, action, getattr(tree, sibling)) is False


@pytest.mark.parametrize("action", sorted(access.UNIT_ACTIONS))
def test_plain_member_and_anonymous_hold_no_unit_action(tree, member, action):
    from django.contrib.auth.models import AnonymousUser

    assert not access.can(member, action, tree.cell_a1x)
    assert not access.can(AnonymousUser(), action, tree.cell_a1x)


def test_office_of_a_former_member_grants_nothing(tree, make_member):
    former = make_member(None, roles=[(tree.national, Role.Kind.SECRETARY)])
    assert not access.can(former, "member.invite", tree.cell_a1x)


def test_require_raises_permission_denied(tree, member):
    with pytest.raises(PermissionDenied):
        access.require(member, "member.invite", tree.cell_a1x)


def test_unknown_action_is_a_programming_error(tree, member):
    with pytest.raises(ValueError):
        access.can(member, "unit.destroy", tree.cell_a1x)


# --- Audiences: owner's cell member, sibling cell, parent officer, outsider, anonymous


@pytest.fixture
def people(tree, make_member):
    from django.contrib.auth.models import AnonymousUser

    return {
        "same_cell": make_member(tree.cell_a1x),
        "sibling_cell": make_member(tree.cell_a1y),
        "other_federation": make_member(tree.cell_b1x),
        "section_officer": make_member(
            tree.cell_a2x, roles=[(tree.section_a1, Role.Kind.OFFICER)]
        ),
        "sympathiser": make_member(tree.cell_a1x, status="sympathiser"),
        "former": make_member(None),
        "anonymous": AnonymousUser(),
    }


# (audience, unit name) → the people who are in it.
AUDIENCE_MATRIX = [
    (
        Audience.PUBLIC,
        None,
        {
            "same_cell",
            "sibling_cell",
            "other_federation",
            "section_officer",
            "sympathiser",
            "former",
            "anonymous",
        },
    ),
    (
        Audience.PARTY,
        None,
        {"same_cell", "sibling_cell", "other_federation", "section_officer"},
    ),
    (Audience.UNIT, "cell_a1x", {"same_cell", "section_officer"}),
    (Audience.UNIT_TREE, "cell_a1x", {"same_cell", "section_officer"}),
    (
        Audience.UNIT_TREE,
        "section_a1",
        {"same_cell", "sibling_cell", "section_officer"},
    ),
    (
        Audience.UNIT_TREE,
        "national",
        {"same_cell", "sibling_cell", "other_federation", "section_officer"},
    ),
    (Audience.UNIT, "section_a1", {"section_officer"}),
    (Audience.OFFICERS, "section_a1", {"section_officer"}),
    (Audience.OFFICERS, "fed_a", set()),
]


@pytest.mark.parametrize(("audience", "unit_name", "expected"), AUDIENCE_MATRIX)
def test_audience_membership(tree, people, audience, unit_name, expected):
    unit = getattr(tree, unit_name) if unit_name else None
    inside = {
        name
        for name, user in people.items()
        if access.in_audience(user, audience, unit)
    }
    assert inside == expected


def test_group_audience_is_its_active_members(tree, make_member):
    from federation.models import Group, GroupMembership

    group = Group.objects.create(unit=tree.section_a1, name="Santé", slug="sante")
    inside = make_member(tree.cell_b1x)
    pending = make_member(tree.cell_a1x)
    GroupMembership.objects.create(group=group, user=inside)
    GroupMembership.objects.create(group=group, user=pending, status="pending")
    assert access.in_audience(inside, Audience.GROUP, group=group)
    assert not access.in_audience(pending, Audience.GROUP, group=group)


def test_plain_member_addresses_own_cell_and_party_but_not_the_section(tree, member):
    assert access.can_address(member, Audience.UNIT, tree.cell_a1x)
    assert access.can_address(member, Audience.PARTY)
    assert not access.can_address(member, Audience.UNIT_TREE, tree.section_a1)
    assert access.can_address(member, Audience.OFFICERS, tree.section_a1)
    assert not access.can_address(member, Audience.OFFICERS, tree.section_a2)


def test_viewer_is_loaded_in_bounded_queries(
    tree, member, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        access.viewer_for(member)
    with django_assert_max_num_queries(0):
        access.viewer_for(member)


# --- Agenda: events -----------------------------------------------------------------


def test_event_actions_by_owner_cell_sibling_parent_officer_outsider_former_anonymous(
    tree, make_member
):
    """A cell event for the cell alone: the cell's officer who made it runs it; the
    same cell sees and answers; a sibling cell and an outsider get nothing; the
    section's officer sees it, runs it (office above) and publishes what is submitted
    to the section; a former member and anonymous see only public events."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import AnonymousUser

    from organising.agenda import services

    owner = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])
    people = {
        "owner": owner,
        "same_cell": make_member(tree.cell_a1x),
        "sibling_cell": make_member(tree.cell_a1y),
        "parent_officer": make_member(
            tree.cell_a2x, roles=[(tree.section_a1, Role.Kind.SECRETARY)]
        ),
        "outsider": make_member(tree.cell_b1x),
        "former": make_member(None),
        "anonymous": AnonymousUser(),
    }
    start = datetime(2026, 12, 10, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))
    times = {"starts_at": start, "ends_at": start + timedelta(hours=2)}
    event = services.event_create(
        by=owner, agenda=tree.cell_a1x, title="Réunion", audience="unit", **times
    )
    public = services.event_create(
        by=owner, agenda=tree.cell_a1x, title="Fête", audience="public", **times
    )

    def allowed(action, obj):
        return {name for name, user in people.items() if access.can(user, action, obj)}

    runs = {"owner", "parent_officer"}
    assert allowed("event.view", event) == {"owner", "same_cell", "parent_officer"}
    assert allowed("event.rsvp", event) == {"owner", "same_cell", "parent_officer"}
    assert allowed("event.create", tree.cell_a1x) == runs
    assert allowed("event.edit", event) == runs
    assert allowed("event.attendees.view", event) == runs
    assert allowed("event.submit", event) == runs
    assert allowed("event.publish", event) == set()
    assert allowed("event.view", public) == set(people)
    assert allowed("event.rsvp", public) == set(people) - {"anonymous"}
    assert allowed("event.rsvp_guest", public) == {"anonymous"}
    assert allowed("event.rsvp_guest", event) == set()

    services.event_submit(event=event, by=owner)
    assert allowed("event.publish", event) == {"parent_officer"}
    visible = {
        name
        for name, user in people.items()
        if type(event).objects.filter(access.visible_filter(user), pk=event.pk)
    }
    assert visible == allowed("event.view", event)
