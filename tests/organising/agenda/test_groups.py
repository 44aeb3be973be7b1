"""A group's agenda: its page links it and loads what comes next, its month shows
the group's events to those who see them, and its public feed holds its public
events only."""

import pytest
from django.urls import reverse

from federation.models import Group, GroupMembership

from .conftest import paris


@pytest.fixture
def group_world(tree, make_member, client_as):
    group = Group.objects.create(unit=tree.cell_a1x, name="Quartier Nord", slug="nord")
    admin = make_member(tree.cell_a1x, display_name="Gaby Admin")
    inside = make_member(tree.cell_a1x, display_name="Ines Inside")
    GroupMembership.objects.create(group=group, user=admin, is_admin=True)
    GroupMembership.objects.create(group=group, user=inside)
    from organising.agenda import services

    def event(title, audience):
        return services.event_create(
            by=admin,
            agenda=group,
            title=title,
            audience=audience,
            starts_at=paris(2026, 12, 15, 18),
            ends_at=paris(2026, 12, 15, 20),
        )

    return {
        "group": group,
        "admin": admin,
        "inside": inside,
        "private": event("Atelier du groupe", "group"),
        "public": event("Porte ouverte du groupe", "public"),
    }


def test_the_group_page_loads_its_agenda(group_world, client_as):
    group = group_world["group"]
    client = client_as(group_world["inside"])
    page = client.get(group.get_absolute_url()).content.decode()
    assert reverse("agenda:group_next", args=[group.slug]) in page
    block = client.get(reverse("agenda:group_next", args=[group.slug])).content
    assert "Atelier du groupe" in block.decode()
    assert reverse("agenda:group", args=[group.slug]) in block.decode()


def test_the_month_of_a_group_shows_what_each_may_see(
    group_world, client_as, member, tree, make_member
):
    group = group_world["group"]
    url = reverse("agenda:group", args=[group.slug]) + "?view=month&day=2026-12-01"
    inside = client_as(group_world["inside"]).get(url).content.decode()
    assert "Atelier du groupe" in inside and "Porte ouverte du groupe" in inside
    outsider = client_as(make_member(tree.cell_b1x)).get(url).content.decode()
    assert "Porte ouverte du groupe" in outsider
    assert "Atelier du groupe" not in outsider
    admin = client_as(group_world["admin"]).get(url).content.decode()
    assert f"{reverse('agenda:event_create')}?group={group.slug}" in admin
    assert "?group=" not in inside  # members do not run the group's agenda


def test_the_public_feed_of_a_group_holds_its_public_events(group_world, client):
    group = group_world["group"]
    body = client.get(reverse("agenda:group_feed", args=[group.slug])).content
    assert b"Porte ouverte du groupe" in body
    assert b"Atelier du groupe" not in body
    assert client.get(reverse("agenda:group_feed", args=["nope"])).status_code == 404
