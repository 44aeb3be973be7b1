"""The policy's petition actions as a matrix: a petition of cell A1x (created by its
secretary, the owner), against a member of the same cell, of a sibling cell, an
officer of the parent section, a secretary of the parent section, an outsider
(another federation), a former member, a sympathiser, anonymous and a superuser;
in each state of the petition."""

import pytest
from django.contrib.auth.models import AnonymousUser

from federation import access
from members.models import Role
from organising.petitions.models import Petition

PERSONAS = [
    "owner",
    "same_cell",
    "sibling_cell",
    "parent_officer",
    "parent_secretary",
    "outsider",
    "former",
    "sympathiser",
    "anonymous",
    "superuser",
]


@pytest.fixture
def personas(tree, make_member):
    return {
        "owner": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
        ),
        "same_cell": make_member(tree.cell_a1x),
        "sibling_cell": make_member(tree.cell_a1y),
        "parent_officer": make_member(
            tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)]
        ),
        "parent_secretary": make_member(
            tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)]
        ),
        "outsider": make_member(
            tree.cell_b1x, roles=[(tree.cell_b1x, Role.Kind.SECRETARY)]
        ),
        "former": make_member(None),
        "sympathiser": make_member(tree.cell_a1x, status="sympathiser"),
        "anonymous": AnonymousUser(),
        "superuser": make_member(None, is_superuser=True),
    }


def _petition(tree, owner, status) -> Petition:
    petition = Petition.objects.create(
        unit=tree.cell_a1x,
        slug=f"p-{status}",
        title="Pétition",
        text="Texte",
        status=status,
        created_by=owner,
    )
    return Petition.objects.select_related("unit").get(pk=petition.pk)


def _who(personas, action, obj) -> set[str]:
    return {name for name, user in personas.items() if access.can(user, action, obj)}


EVERYONE = set(PERSONAS)
RUNS = {"owner", "parent_officer", "parent_secretary", "superuser"}
SECRETARIES = {"owner", "parent_secretary", "superuser"}

MATRIX = {
    "draft": {
        "petition.view": RUNS,
        "petition.sign": set(),
        "petition.manage": RUNS,
        "petition.close": RUNS,
        "petition.signatures.view": RUNS,
        "petition.export": SECRETARIES,
    },
    "open": {
        "petition.view": EVERYONE,
        "petition.sign": EVERYONE,
        "petition.manage": RUNS,
        "petition.close": RUNS,
        "petition.signatures.view": RUNS,
        "petition.export": SECRETARIES,
    },
    "closed": {
        "petition.view": EVERYONE,
        "petition.sign": set(),
        "petition.manage": RUNS,
        "petition.close": RUNS,
        "petition.signatures.view": RUNS,
        "petition.export": SECRETARIES,
    },
}


@pytest.mark.parametrize(
    ("status", "action"),
    [(status, action) for status, row in MATRIX.items() for action in row],
)
def test_petition_actions(tree, personas, status, action):
    petition = _petition(tree, personas["owner"], status)
    assert _who(personas, action, petition) == MATRIX[status][action]


@pytest.mark.parametrize("action", ["petition.create", "petition.list"])
def test_who_creates_and_lists_a_cells_petitions(tree, personas, action):
    assert _who(personas, action, tree.cell_a1x) == RUNS
    # A section's petitions: its officers and those above, not the cell's secretary.
    assert _who(personas, action, tree.section_a1) == RUNS - {"owner"}


def test_an_open_petition_past_its_end_takes_no_signature(tree, personas):
    from datetime import timedelta

    from django.utils import timezone

    petition = _petition(tree, personas["owner"], "open")
    petition.ends_at = timezone.now() - timedelta(seconds=1)
    assert _who(personas, "petition.sign", petition) == set()
    assert _who(personas, "petition.view", petition) == EVERYONE


def test_nothing_is_allowed_on_no_petition(personas):
    for action in sorted(access.PETITION_ACTIONS):
        assert _who(personas, action, None) == set()
