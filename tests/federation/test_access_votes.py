"""The policy's vote actions as a matrix: a cell vote (cell A1x and below) run by
the cell's secretary ("owner"), against a member of the same cell, of a sibling cell,
an officer of the parent section, an outsider (another federation), a former member,
a sympathiser of the cell, anonymous and a superuser, in each state of the vote."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from federation import access
from members.models import Membership, Role
from organising.votes import services

PERSONAS = [
    "owner",
    "same_cell",
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
        "owner": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
        ),
        "same_cell": make_member(tree.cell_a1x),
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
def cell_vote(tree, personas):
    def make(status="draft", **fields):
        now = timezone.now()
        vote = services.vote_create(
            by=personas["owner"],
            title="Action du mois",
            kind="motion",
            unit=tree.cell_a1x,
            opens_at=now + timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            **fields,
        )
        if status != "draft":
            vote = services.vote_open(vote=vote, by=personas["owner"])
        if status == "closed":
            vote = services.vote_close(vote=vote, by=personas["owner"])
        return vote

    return make


def _who(personas, action, obj) -> set[str]:
    return {name for name, user in personas.items() if access.can(user, action, obj)}


RUNNERS = {"owner", "parent_officer", "superuser"}
AUDIENCE = {"owner", "same_cell", "parent_officer", "superuser"}
# Those who may try to cast: current members who see it (the superuser here has no
# membership). Outside the electorate, before opening or after closing, the service
# answers why (a 400), so a draft's officers may try too.
MEMBERS_SEEING = AUDIENCE - {"superuser"}

# state -> action -> who may.
MATRIX = {
    "draft": {
        "vote.view": RUNNERS,
        "vote.manage": RUNNERS,
        "vote.open": RUNNERS,
        "vote.close": RUNNERS,
        "vote.cast": {"owner", "parent_officer"},  # only they see a draft
        "vote.proxy.give": {"owner", "parent_officer"},
        "vote.results.view": set(),
        "vote.receipts.view": set(),
        "vote.electorate.view": set(),
        "vote.export": set(),
    },
    "open": {
        "vote.view": AUDIENCE,
        "vote.manage": RUNNERS,
        "vote.open": RUNNERS,
        "vote.close": RUNNERS,
        "vote.cast": MEMBERS_SEEING,
        "vote.proxy.give": MEMBERS_SEEING,
        "vote.results.view": RUNNERS,  # results hidden while open by default
        "vote.receipts.view": set(),
        "vote.electorate.view": RUNNERS,
        "vote.export": RUNNERS,
    },
    "closed": {
        "vote.view": AUDIENCE,
        "vote.manage": RUNNERS,
        "vote.open": RUNNERS,
        "vote.close": RUNNERS,
        "vote.cast": MEMBERS_SEEING,
        "vote.proxy.give": set(),
        "vote.results.view": AUDIENCE,
        "vote.receipts.view": AUDIENCE,
        "vote.electorate.view": RUNNERS,
        "vote.export": RUNNERS,
    },
}


@pytest.mark.parametrize(
    ("status", "action"),
    [(status, action) for status in MATRIX for action in sorted(MATRIX[status])],
)
def test_cell_vote_matrix(personas, cell_vote, status, action):
    vote = cell_vote(status)
    assert _who(personas, action, vote) == MATRIX[status][action]


def test_every_vote_action_is_in_the_matrix():
    assert set(MATRIX["open"]) | {"vote.create"} == access.VOTE_ACTIONS


def test_vote_create_on_the_cell(personas, tree):
    assert _who(personas, "vote.create", tree.cell_a1x) == RUNNERS
    assert _who(personas, "vote.create", tree.section_a1) == {
        "parent_officer",
        "superuser",
    }


def test_results_while_open_when_the_vote_says_so(personas, cell_vote):
    vote = cell_vote("open", results_while_open=True)
    assert _who(personas, "vote.results.view", vote) == AUDIENCE


def test_elector_transferred_away_still_sees_and_casts(personas, cell_vote, tree):
    """The electorate is fixed at opening: a member moved to another federation
    after it opened still sees the vote and may cast their ballot."""
    vote = cell_vote("open")
    moved = personas["same_cell"]
    Membership.objects.filter(user=moved).update(ended_on=timezone.localdate())
    Membership.objects.create(user=moved, unit=tree.cell_b1x, status="adherent")
    access.forget_viewer(moved)
    vote.refresh_from_db()
    assert access.can(moved, "vote.view", vote)
    assert access.can(moved, "vote.cast", vote)


def test_member_who_left_sees_no_more_even_as_elector(personas, cell_vote):
    vote = cell_vote("open")
    gone = personas["same_cell"]
    Membership.objects.filter(user=gone).update(ended_on=timezone.localdate())
    access.forget_viewer(gone)
    vote.refresh_from_db()
    assert not access.can(gone, "vote.view", vote)
    assert not access.can(gone, "vote.cast", vote)


def test_group_vote_is_run_by_group_admins(tree, make_member):
    from federation.models import Group, GroupMembership

    group = Group.objects.create(name="Santé", slug="sante", unit=tree.section_a1)
    admin = make_member(tree.cell_a1x)
    GroupMembership.objects.create(
        group=group, user=admin, status=GroupMembership.Status.ACTIVE, is_admin=True
    )
    plain = make_member(tree.cell_a1x)
    access.forget_viewer(admin)
    assert access.can(admin, "vote.create", group)
    assert not access.can(plain, "vote.create", group)
