"""Viewers kept between requests: read from the cache while the member's context
holds, built again as soon as a membership, an office, a group or a unit changes,
never kept from a transaction that is rolled back."""

import pytest
from django.db import transaction

from federation import access
from federation.models import Group, GroupMembership
from members.models import Role, User

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    """The member as a new request loads them (nothing kept on the object)."""
    return User.objects.get(pk=user.pk)


def test_a_kept_viewer_costs_no_query(tree, make_member, django_assert_num_queries):
    member = make_member(tree.cell_a1x)
    access.viewer_for(fresh(member))
    again = fresh(member)
    with django_assert_num_queries(0):
        viewer = access.viewer_for(again)
    assert viewer.home.pk == tree.cell_a1x.pk
    assert viewer.is_adherent


def test_a_new_office_and_a_new_group_are_seen_at_once(tree, make_member):
    member = make_member(tree.cell_a1x)
    assert not access.can(fresh(member), "member.invite", tree.cell_a1x)
    Role.objects.create(user=member, unit=tree.cell_a1x, kind=Role.Kind.SECRETARY)
    assert access.can(fresh(member), "member.invite", tree.cell_a1x)
    group = Group.objects.create(unit=tree.fed_a, name="Santé", slug="sante")
    GroupMembership.objects.create(group=group, user=member)
    assert group.pk in access.viewer_for(fresh(member)).group_ids


def test_an_office_rolled_back_leaves_no_kept_viewer(tree, make_member):
    member = make_member(tree.cell_a1x)
    access.viewer_for(fresh(member))
    with pytest.raises(RuntimeError), transaction.atomic():
        Role.objects.create(user=member, unit=tree.cell_a1x, kind=Role.Kind.SECRETARY)
        assert access.can(fresh(member), "member.invite", tree.cell_a1x)
        raise RuntimeError("rolled back")
    assert not access.can(fresh(member), "member.invite", tree.cell_a1x)


def test_a_renamed_home_cell_shows_in_the_viewer(tree, make_member):
    member = make_member(tree.cell_a1x)
    access.viewer_for(fresh(member))
    tree.cell_a1x.name = "Cellule Croix-Rousse"
    tree.cell_a1x.save()
    assert access.viewer_for(fresh(member)).home.name == "Cellule Croix-Rousse"


def test_a_viewer_read_in_a_transaction_that_changed_nothing_of_theirs_is_kept(
    tree, make_member, django_assert_num_queries
):
    """Posting, reacting, replying run in a transaction: the author's viewer built
    there is kept for the next request."""
    member = make_member(tree.cell_a1x)
    other = make_member(tree.cell_a1y)
    with transaction.atomic():
        Role.objects.create(user=other, unit=tree.cell_a1y, kind=Role.Kind.OFFICER)
        access.viewer_for(fresh(member))
    again = fresh(member)
    with django_assert_num_queries(0):
        assert access.viewer_for(again).home.pk == tree.cell_a1x.pk
