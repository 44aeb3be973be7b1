"""Messaging test fixtures: people placed in the tree, a group, a post helper."""

from types import SimpleNamespace

import pytest

from federation.models import Audience, Group, GroupMembership
from members.models import Role
from organising.messaging import broadcast, services


@pytest.fixture(scope="session", autouse=True)
def stop_the_announcer(django_db_setup, django_db_blocker):
    """With Redis, announcements run on a background thread that holds a database
    connection: close it before the test database is dropped."""
    yield
    with django_db_blocker.unblock():
        broadcast.shutdown()


@pytest.fixture
def people(tree, make_member):
    """Members across the tree: two in cell A1x, one in each sibling/cousin cell, an
    officer of section A1, a federation A secretary, a sympathiser, a former member."""
    return SimpleNamespace(
        alice=make_member(tree.cell_a1x, display_name="Alice Martin"),
        bob=make_member(tree.cell_a1x, display_name="Bob Durand"),
        carol=make_member(tree.cell_a1y, display_name="Carol Petit"),
        dan=make_member(tree.cell_a2x, display_name="Dan Moreau"),
        erin=make_member(tree.cell_b1x, display_name="Erin Leroy"),
        officer=make_member(
            tree.cell_a1y,
            display_name="Olga Officer",
            roles=[(tree.section_a1, Role.Kind.OFFICER)],
        ),
        fed_secretary=make_member(
            tree.cell_a2x,
            display_name="Fred Secretary",
            roles=[(tree.fed_a, Role.Kind.SECRETARY)],
        ),
        sympathiser=make_member(
            tree.cell_a1x, status="sympathiser", display_name="Sam Sympathiser"
        ),
        former=make_member(None, display_name="Fanny Former"),
    )


@pytest.fixture
def health_group(tree, people):
    """A group of fed A with Alice and Erin (a member of another federation) in it."""
    group = Group.objects.create(unit=tree.fed_a, name="Santé", slug="sante")
    for user in (people.alice, people.erin):
        GroupMembership.objects.create(group=group, user=user)
    return group


@pytest.fixture
def post_as():
    """post_as(user, body, audience="unit", unit=None, group=None, **kwargs)."""

    def make(
        user, body="Hello", audience=Audience.UNIT, unit=None, group=None, **kwargs
    ):
        if (
            audience in (Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS)
            and unit is None
        ):
            unit = user.memberships.get(ended_on__isnull=True).unit
        return services.post_create(
            author=user,
            body=body,
            audience=audience,
            audience_unit=unit
            if audience not in (Audience.PUBLIC, Audience.PARTY)
            else None,
            unit=unit if audience in (Audience.PUBLIC, Audience.PARTY) else None,
            audience_group=group,
            **kwargs,
        )

    return make
