"""The policy's contact and directory actions as a matrix: the member following a
contact up (owner), a member of the same cell it is shared with, one it is not
shared with, the cell's secretary, a member of a sibling cell, an officer of the
parent section, an outsider (another federation), a former member, a sympathiser,
anonymous and a superuser."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from federation import access
from members.models import Membership, Role
from organising.contacts.models import Contact, ContactShare

PERSONAS = [
    "owner",
    "shared_with",
    "same_cell",
    "secretary",
    "sibling_cell",
    "parent_officer",
    "outsider",
    "former",
    "sympathiser",
    "anonymous",
    "superuser",
]


@pytest.fixture
def personas(tree, make_member):
    return {
        "owner": make_member(tree.cell_a1x),
        "shared_with": make_member(tree.cell_a1x),
        "same_cell": make_member(tree.cell_a1x),
        "secretary": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
        ),
        "sibling_cell": make_member(tree.cell_a1y),
        "parent_officer": make_member(
            tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)]
        ),
        "outsider": make_member(tree.cell_b1x),
        "former": make_member(None),
        "sympathiser": make_member(tree.cell_a1x, status="sympathiser"),
        "anonymous": AnonymousUser(),
        "superuser": make_member(None, is_superuser=True),
    }


@pytest.fixture
def contact(tree, personas):
    contact = Contact.objects.create(
        unit=tree.cell_a1x,
        first_name="Marie",
        last_name="Dupont",
        search_name="marie dupont",
        follower=personas["owner"],
    )
    ContactShare.objects.create(contact=contact, member=personas["shared_with"])
    ContactShare.objects.create(contact=contact, member=personas["sympathiser"])
    return Contact.objects.select_related("unit").get(pk=contact.pk)


def _who(personas, action, obj) -> set[str]:
    return {name for name, user in personas.items() if access.can(user, action, obj)}


def _seers(personas, contact) -> set[str]:
    visible = Contact.objects.filter(pk=contact.pk)
    return {
        name
        for name, user in personas.items()
        if visible.filter(access.contact_filter(user)).exists()
    }


OFFICERS = {"secretary", "parent_officer", "superuser"}
READERS = OFFICERS | {"owner", "shared_with"}
CONTACT_MATRIX = {
    "contact.view": READERS,
    "contact.interact": READERS,
    "contact.edit": OFFICERS | {"owner"},
    "contact.share": OFFICERS | {"owner"},
    "contact.reassign": OFFICERS,
    "contact.merge": OFFICERS,
    "contact.erase": OFFICERS,
    # Inviting into the party: the secretaries (member.invite).
    "contact.invite": {"secretary", "superuser"},
}


@pytest.mark.parametrize("action", sorted(CONTACT_MATRIX))
def test_actions_on_a_cell_contact(personas, contact, action):
    assert _who(personas, action, contact) == CONTACT_MATRIX[action]


def test_the_visibility_filter_agrees_with_contact_view(personas, contact):
    assert _seers(personas, contact) == CONTACT_MATRIX["contact.view"]


CELL_MATRIX = {
    "contact.create": {"owner", "shared_with", "same_cell"} | OFFICERS,
    "contact.export": OFFICERS,
    "contact.import": OFFICERS,
    "directory.view": {"owner", "shared_with", "same_cell"} | OFFICERS,
}


@pytest.mark.parametrize("action", sorted(CELL_MATRIX))
def test_actions_on_the_cell(tree, personas, action):
    assert _who(personas, action, tree.cell_a1x) == CELL_MATRIX[action]


def test_the_section_directory_is_seen_from_every_cell_below(tree, personas):
    assert _who(personas, "directory.view", tree.section_a1) == {
        "owner",
        "shared_with",
        "same_cell",
        "secretary",
        "sibling_cell",
        "parent_officer",
        "superuser",
    }


def test_contact_pages_and_cards_are_for_adherents(personas):
    adherents = set(PERSONAS) - {"former", "sympathiser", "anonymous"}
    assert _who(personas, "contact.list", None) == adherents
    assert _who(personas, "member.vcard", personas["owner"]) == adherents


def test_a_section_contact_is_not_seen_by_the_cell_secretary(tree, personas):
    contact = Contact.objects.create(
        unit=tree.section_a1, last_name="Martin", search_name="martin"
    )
    assert _who(personas, "contact.view", contact) == {"parent_officer", "superuser"}
    assert _seers(personas, contact) == {"parent_officer", "superuser"}


def test_a_follower_transferred_away_loses_the_contact(tree, personas, contact):
    owner = personas["owner"]
    Membership.objects.filter(user=owner).update(ended_on=timezone.localdate())
    Membership.objects.create(user=owner, unit=tree.cell_b1x, status="adherent")
    owner.context_version += 1
    owner.save(update_fields=["context_version"])
    access.forget_viewer(owner)
    assert not access.can(owner, "contact.view", contact)
    assert not Contact.objects.filter(access.contact_filter(owner)).exists()


def test_another_units_contact_answers_404(tree, personas, contact):
    from django.http import Http404

    with pytest.raises(Http404):
        access.contact_for_action_or_404(
            personas["outsider"], "contact.view", contact.public_id
        )
    with pytest.raises(Http404):
        access.contact_for_action_or_404(personas["owner"], "contact.view", "nope")
    found = access.contact_for_action_or_404(
        personas["owner"], "contact.view", contact.public_id
    )
    assert found == contact
