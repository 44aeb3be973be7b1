"""The policy's actions on content, groups and conversations, as a matrix: the owner,
a member of the same cell, of a sibling cell, an officer of the parent unit, an
outsider (another federation), a former member, a sympathiser, anonymous and a
superuser, against each action (the unit actions' matrix is in test_access.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from federation import access
from federation.models import Audience, Group, GroupMembership
from members.models import Role
from organising.messaging.models import Conversation, Participant, Post, Relation

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
        "owner": make_member(tree.cell_a1x),
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


def _post(author, audience, unit, **fields) -> Post:
    post = Post.objects.create(
        author=author,
        body="text",
        body_html="<p>text</p>",
        audience=audience,
        audience_unit=unit,
        unit=unit,
        **fields,
    )
    Post.objects.filter(pk=post.pk).update(root_id=post.pk)
    return Post.objects.select_related("audience_unit", "unit", "root").get(pk=post.pk)


def _who(personas, action, obj) -> set[str]:
    return {name for name, user in personas.items() if access.can(user, action, obj)}


CELL_READERS = {"owner", "same_cell", "parent_officer", "superuser"}

# action on the owner's cell-only post -> who may.
CELL_POST_MATRIX = {
    "post.view": CELL_READERS,
    "post.reply": CELL_READERS,
    "post.react": CELL_READERS,
    "post.boost": CELL_READERS,
    "post.report": CELL_READERS,
    "post.edit": {"owner"},
    "post.delete": {"owner"},
    # Relayed up by an office above the cell (the superuser holds every office).
    "post.relay": {"parent_officer", "superuser"},
    "post.see_hidden": {"owner", "parent_officer", "superuser"},
}


@pytest.mark.parametrize("action", sorted(CELL_POST_MATRIX))
def test_actions_on_a_cell_post(tree, personas, action):
    post = _post(personas["owner"], Audience.UNIT, tree.cell_a1x)
    assert _who(personas, action, post) == CELL_POST_MATRIX[action]


def test_a_hidden_post_is_seen_by_its_author_and_its_moderators_only(tree, personas):
    post = _post(
        personas["owner"], Audience.UNIT, tree.cell_a1x, hidden_at=timezone.now()
    )
    assert _who(personas, "post.view", post) == {"owner", "parent_officer", "superuser"}
    # Nobody writes about a hidden post; its author may still delete it.
    assert _who(personas, "post.reply", post) == set()
    assert _who(personas, "post.react", post) == set()
    assert _who(personas, "post.delete", post) == {"owner"}
    assert _who(personas, "post.edit", post) == set()


def test_a_deleted_post_shows_only_as_the_placeholder_of_its_replies(tree, personas):
    post = _post(
        personas["owner"], Audience.UNIT, tree.cell_a1x, deleted_at=timezone.now()
    )
    assert _who(personas, "post.view", post) == set()
    Post.objects.filter(pk=post.pk).update(reply_count=1)
    post.reply_count = 1
    assert _who(personas, "post.view", post) == CELL_READERS


def test_an_officers_only_post_is_never_relayed(tree, personas):
    report = _post(personas["owner"], Audience.OFFICERS, tree.cell_a1x)
    assert _who(personas, "post.view", report) == {
        "owner",
        "parent_officer",
        "superuser",
    }
    assert _who(personas, "post.relay", report) == set()
    assert access.relay_units(personas["parent_officer"], report) == []


def test_the_author_of_an_officers_only_post_reads_the_officers_replies(tree, personas):
    report = _post(personas["owner"], Audience.OFFICERS, tree.section_a1)
    answer = Post.objects.create(
        author=personas["parent_officer"],
        body="We look into it",
        audience=Audience.OFFICERS,
        audience_unit=tree.section_a1,
        unit=tree.section_a1,
        parent=report,
        root=report,
    )
    answer = Post.objects.select_related("audience_unit", "root").get(pk=answer.pk)
    assert _who(personas, "post.view", answer) == {
        "owner",
        "parent_officer",
        "superuser",
    }
    assert "owner" in _who(personas, "post.reply", answer)
    # Once a former member, the author keeps only what they wrote.
    visible = Post.objects.filter(
        access.content_filter(personas["former"], threads=True)
    )
    assert answer not in visible


def test_a_block_closes_the_blockers_posts_to_the_blocked(tree, personas):
    post = _post(personas["owner"], Audience.UNIT, tree.cell_a1x)
    Relation.objects.create(
        owner=personas["owner"], target=personas["same_cell"], kind="block"
    )
    blocked = personas["same_cell"]
    for action in ("post.view", "post.reply", "post.react", "post.boost"):
        assert not access.can(blocked, action, post), action
    assert not access.can(blocked, "member.message", personas["owner"])
    assert not access.can(personas["owner"], "member.message", blocked)


@pytest.fixture
def group(tree, personas, make_member):
    """A closed adherents-only group of cell A1x: the owner in it, an admin, and
    someone who only asked to join."""
    group = Group.objects.create(
        unit=tree.cell_a1x, name="Commission", slug="commission", is_open=False
    )
    GroupMembership.objects.create(group=group, user=personas["owner"])
    GroupMembership.objects.create(
        group=group, user=personas["sibling_cell"], status="pending"
    )
    return group


def test_a_groups_timeline_is_for_its_active_members(tree, personas, group):
    assert _who(personas, "group.timeline.view", group) == {"owner", "superuser"}


def test_a_groups_member_list_is_for_members_admins_and_officers_above(
    tree, personas, group
):
    # The sibling only asked to join; the section's officer manages the cell's groups.
    assert _who(personas, "group.members.view", group) == {
        "owner",
        "parent_officer",
        "superuser",
    }


def test_a_demoted_adherent_leaves_adherent_only_groups(tree, personas, group):
    owner = personas["owner"]
    welcoming = Group.objects.create(
        unit=tree.cell_a1x, name="Open", slug="open", sympathisers_welcome=True
    )
    GroupMembership.objects.create(group=welcoming, user=owner)
    membership = owner.memberships.get()
    membership.status = "sympathiser"
    membership.save()
    access.forget_viewer(owner)
    assert not access.can(owner, "group.timeline.view", group)
    assert access.can(owner, "group.timeline.view", welcoming)


def test_who_may_start_a_conversation(personas):
    assert _who(personas, "conversation.start", None) == {
        "owner",
        "same_cell",
        "sibling_cell",
        "parent_officer",
        "outsider",
        "superuser",
    }


def test_who_may_write_to_a_member(personas):
    assert _who(personas, "member.message", personas["owner"]) == {
        "same_cell",
        "sibling_cell",
        "parent_officer",
        "outsider",
        "superuser",
    }


def test_a_conversation_is_read_by_its_current_member_participants(personas):
    conversation = Conversation.objects.create(
        created_by=personas["owner"], is_group=True
    )
    for name in ("owner", "same_cell", "former", "sympathiser"):
        Participant.objects.create(conversation=conversation, user=personas[name])
    assert _who(personas, "conversation.read", conversation) == {
        "owner",
        "same_cell",
        "sympathiser",
    }
    assert _who(personas, "conversation.write", conversation) == {"owner", "same_cell"}


def test_a_member_out_of_scope_is_404_whatever_the_reason(tree, personas, make_member):
    from django.http import Http404

    secretary = make_member(tree.cell_a1y, roles=[(tree.cell_a1y, "secretary")])
    found = access.membership_in_scope_or_404(
        secretary, "member.end", personas["sibling_cell"].public_id
    )
    assert found.user == personas["sibling_cell"]
    for public_id in (
        personas["owner"].public_id,  # another cell
        personas["former"].public_id,  # no current membership
        "00000000-0000-4000-8000-000000000000",  # nobody
        "not-an-id",
    ):
        with pytest.raises(Http404):
            access.membership_in_scope_or_404(secretary, "member.end", public_id)


def test_report_notifications_follow_the_policy(tree, personas, make_member):
    """A sympathiser still holding an old office moderates nothing, so is not told."""
    demoted = make_member(
        tree.cell_a1x, status="sympathiser", roles=[(tree.cell_a1x, "officer")]
    )
    holders = access.office_holders("content.moderate", tree.cell_a1x)
    everyone = {pk for ids in holders.values() for pk in ids}
    assert personas["parent_officer"].pk in everyone
    assert demoted.pk not in everyone


def test_who_may_publish(tree, personas, make_member):
    adherents = {"owner", "same_cell", "sibling_cell", "parent_officer", "outsider"}
    assert _who(personas, "post.create", None) == adherents | {"superuser"}
    # A sympathiser publishes in the groups open to sympathisers they are in.
    group = Group.objects.create(
        unit=tree.cell_a1x, name="Amis", slug="amis", sympathisers_welcome=True
    )
    sympathiser = make_member(tree.cell_a1x, status="sympathiser")
    GroupMembership.objects.create(group=group, user=sympathiser)
    assert access.can(sympathiser, "post.create")
    assert access.can_address(sympathiser, Audience.GROUP, group=group)
    assert not access.can_address(sympathiser, Audience.UNIT, tree.cell_a1x)
