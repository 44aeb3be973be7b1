"""The policy's document actions as a matrix: the owner (author), a member of the
same cell, of a sibling cell, an officer of the parent unit, an outsider (another
federation), a former member, a sympathiser, anonymous and a superuser."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from federation import access
from federation.models import Audience, Group, GroupMembership
from members.models import Role
from organising.documents.models import Amendment, Comment, Document

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


def _document(owner, unit, audience=Audience.UNIT, **fields) -> Document:
    document = Document.objects.create(
        unit=unit,
        title="Tract",
        body="Texte.\n",
        audience=audience,
        audience_unit=unit if audience in ("unit", "unit_tree", "officers") else None,
        created_by=owner,
        **fields,
    )
    return Document.objects.select_related("unit", "audience_unit").get(pk=document.pk)


def _who(personas, action, obj) -> set[str]:
    return {name for name, user in personas.items() if access.can(user, action, obj)}


READERS = {"owner", "same_cell", "parent_officer", "superuser"}
RUNS = {"parent_officer", "superuser"}

# editors -> action on the owner's cell-only document -> who may.
MATRIX = {
    "author": {
        "document.view": READERS,
        "document.history.view": READERS,
        "document.comment": READERS,
        "document.edit": {"owner", *RUNS},
        "document.restore": {"owner", *RUNS},
        "document.live": {"owner", *RUNS},
        "file.upload": {"owner", *RUNS},
        "document.manage": {"owner", *RUNS},
        "amendment.propose": set(),  # not open for amendments
    },
    "officers": {
        "document.edit": RUNS,
        "document.restore": RUNS,
        "file.upload": RUNS,
        "document.manage": {"owner", *RUNS},
    },
    "audience": {
        "document.edit": READERS,
        "document.live": READERS,
        "document.restore": READERS,
    },
}


@pytest.mark.parametrize(
    ("editors", "action"),
    [(editors, action) for editors, rows in MATRIX.items() for action in sorted(rows)],
)
def test_actions_on_a_cell_document(tree, personas, editors, action):
    document = _document(personas["owner"], tree.cell_a1x, editors=editors)
    assert _who(personas, action, document) == MATRIX[editors][action]


def test_a_public_document_is_read_by_all_and_written_by_current_members(
    tree, personas
):
    document = _document(
        personas["owner"], tree.cell_a1x, Audience.PUBLIC, editors="audience"
    )
    assert _who(personas, "document.view", document) == set(PERSONAS)
    # Writers: adherents (a sympathiser only in a group's document), no former.
    assert _who(personas, "document.edit", document) == {
        "owner",
        "same_cell",
        "sibling_cell",
        "parent_officer",
        "outsider",
        "superuser",
    }


def test_an_officers_document_is_for_the_officers(tree, personas):
    document = _document(personas["parent_officer"], tree.section_a1, Audience.OFFICERS)
    assert _who(personas, "document.view", document) == RUNS


def test_who_may_create_in_a_unit(tree, personas):
    assert _who(personas, "document.create", tree.cell_a1x) == {
        "owner",
        "same_cell",
        *RUNS,
    }
    assert _who(personas, "document.create", tree.section_a1) == RUNS
    assert _who(personas, "document.create", tree.fed_b) == {"superuser"}


def test_a_groups_documents_are_its_members(tree, personas):
    group = Group.objects.create(
        unit=tree.cell_a1x, name="Santé", slug="sante", sympathisers_welcome=True
    )
    GroupMembership.objects.create(group=group, user=personas["sympathiser"])
    GroupMembership.objects.create(
        group=group, user=personas["same_cell"], is_admin=True
    )
    for persona in ("sympathiser", "same_cell"):
        access.forget_viewer(personas[persona])
    document = Document.objects.create(
        group=group,
        title="Note",
        audience=Audience.GROUP,
        audience_group=group,
        editors="audience",
        created_by=personas["same_cell"],
    )
    assert _who(personas, "document.create", group) == {
        "sympathiser",
        "same_cell",
        *RUNS,
    }
    assert _who(personas, "document.view", document) == {
        "sympathiser",
        "same_cell",
        "superuser",
    }
    assert _who(personas, "document.edit", document) == {
        "sympathiser",
        "same_cell",
        "superuser",
    }


def test_comments_are_resolved_by_their_author_the_documents_or_an_officer(
    tree, personas
):
    document = _document(personas["owner"], tree.cell_a1x)
    comment = Comment.objects.create(
        document=document, author=personas["same_cell"], body="x", body_html="x"
    )
    assert _who(personas, "comment.resolve", comment) == {"owner", "same_cell", *RUNS}


def test_amendments_open_to_readers_decided_by_officers(tree, personas):
    document = _document(
        personas["parent_officer"],
        tree.section_a1,
        Audience.UNIT_TREE,
        amendments_until=timezone.now() + timedelta(days=3),
    )
    tree_readers = {"owner", "same_cell", "sibling_cell", "parent_officer", "superuser"}
    assert _who(personas, "amendment.propose", document) == tree_readers
    amendment = Amendment.objects.create(
        document=document,
        number=1,
        author=personas["owner"],
        kind="delete",
        quote="Texte.",
        justification="x",
    )
    assert _who(personas, "amendment.decide", amendment) == RUNS
    assert _who(personas, "amendment.withdraw", amendment) == {"owner"}
    assert _who(personas, "amendment.submit", amendment) == set()  # not accepted
    amendment.status = "accepted"
    assert _who(personas, "amendment.submit", amendment) == RUNS
    assert _who(personas, "amendment.decide", amendment) == set()


def test_a_former_member_loses_what_the_cell_gave(tree, personas):
    document = _document(personas["owner"], tree.cell_a1x, editors="audience")
    owner = personas["owner"]
    membership = owner.memberships.get()
    membership.ended_on = timezone.localdate()
    membership.save()
    access.forget_viewer(owner)
    for action in ("document.view", "document.edit", "document.manage"):
        assert not access.can(owner, action, document), action
