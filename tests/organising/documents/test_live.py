"""Live co-editing through the site's socket: two editors' CRDT updates reach each
other, every update is checked against the editor's rights and stored as it
arrives, so that a restart (the process's memory gone) loses nothing; checkpoints
become revisions merged with form saves; an editor whose rights end is cut off."""

import base64

import pytest
from asgiref.sync import sync_to_async
from pycrdt import Doc, Text

from organising.documents import live, services
from organising.documents.models import LiveUpdate, Revision

from ..messaging.test_live import close_worker_connections, connected  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _watch(socket, ref):
    await socket.send_json_to({"type": "watch", "topic": "document", "id": ref})
    return await socket.receive_json_from(timeout=3)


async def _send(socket, ref, **message):
    await socket.send_json_to(
        {"type": "topic.send", "topic": "document", "id": ref, **message}
    )


async def _next(socket, kind):
    while True:
        event = await socket.receive_json_from(timeout=3)
        if event.get("kind") == kind:
            return event


async def _editor(user, ref):
    """A socket that watches the document, with its own pycrdt copy of the text."""
    socket = await connected(user)
    assert (await _watch(socket, ref))["type"] == "watching"
    await _send(socket, ref, kind="sync")
    state = await _next(socket, "state")
    doc = Doc()
    doc.apply_update(base64.b64decode(state["update"]))
    return socket, doc, state


async def _type(socket, ref, doc, at, words):
    before = doc.get_state()
    doc.get("body", type=Text).insert(at, words)
    update = doc.get_update(before)
    await _send(socket, ref, kind="update", update=base64.b64encode(update).decode())


@pytest.fixture
def shared(tree, make_member):
    alice = make_member(tree.cell_a1x, display_name="Alice")
    bob = make_member(tree.cell_a1x, display_name="Bob")
    document = services.document_create(
        by=alice,
        owner=tree.cell_a1x,
        title="Tract",
        body="Début.\n",
        editors="audience",
    )
    return alice, bob, document


async def test_two_editors_see_each_others_text(shared):
    alice, bob, document = shared
    ref = document.pk
    a, doc_a, state = await _editor(alice, ref)
    assert state["editing"] and str(doc_a.get("body", type=Text)) == "Début.\n"
    b, doc_b, _ = await _editor(bob, ref)
    await _type(a, ref, doc_a, 0, "Alice : ")
    update = await _next(b, "update")
    doc_b.apply_update(base64.b64decode(update["update"]))
    # pycrdt's positions are UTF-8 bytes.
    await _type(b, ref, doc_b, len(doc_b.get("body", type=Text)), "Bob.\n")
    update = await _next(a, "update")
    while update["by"] != bob.pk:
        update = await _next(a, "update")
    doc_a.apply_update(base64.b64decode(update["update"]))
    assert str(doc_a.get("body", type=Text)) == "Alice : Début.\nBob.\n"
    assert str(doc_b.get("body", type=Text)) == "Alice : Début.\nBob.\n"
    assert await sync_to_async(LiveUpdate.objects.count)() == 2
    # A restart: the process's memory is gone; a new tab gets everything back.
    live._DOCS.clear()
    c, doc_c, _ = await _editor(alice, ref)
    assert str(doc_c.get("body", type=Text)) == "Alice : Début.\nBob.\n"
    # A checkpoint is a revision of the live text.
    await _send(c, ref, kind="checkpoint")
    checkpoint = await _next(c, "checkpoint")
    revision = await sync_to_async(Revision.objects.get)(
        document=document, number=checkpoint["revision"]
    )
    assert revision.origin == "live"
    for socket in (a, b, c):
        await socket.disconnect()


async def test_a_reader_may_watch_but_not_write(shared, make_member, tree):
    alice, _bob, document = shared
    document.editors = "author"
    await sync_to_async(document.save)()
    reader = await sync_to_async(make_member)(tree.cell_a1x)
    socket, doc, state = await _editor(reader, document.pk)
    assert state["editing"] is False
    await _type(socket, document.pk, doc, 0, "intrus")
    error = await _next(socket, "error")
    assert error["error"] == "read only"
    assert await sync_to_async(LiveUpdate.objects.count)() == 0
    await socket.disconnect()


async def test_garbage_is_refused(shared):
    alice, _bob, document = shared
    socket, _doc, _ = await _editor(alice, document.pk)
    for update in ("!!!", base64.b64encode(b"\x07\x01garbage").decode()):
        await _send(socket, document.pk, kind="update", update=update)
        assert (await _next(socket, "error"))["error"] == "bad update"
    assert await sync_to_async(LiveUpdate.objects.count)() == 0
    await socket.disconnect()


async def test_an_editor_whose_rights_end_is_cut_off(shared, tree, make_member):
    from members.models import Role
    from members.services import membership_transfer

    alice, bob, document = shared
    secretary = await sync_to_async(make_member)(
        tree.cell_a2x, roles=[(tree.fed_a, Role.Kind.SECRETARY)]
    )
    socket, doc, _ = await _editor(bob, document.pk)
    await sync_to_async(membership_transfer)(
        member=bob, to_cell=tree.cell_a1y, by=secretary
    )
    # The socket asks the topic again and drops the watch.
    event = await socket.receive_json_from(timeout=3)
    while event.get("type") != "error":
        event = await socket.receive_json_from(timeout=3)
    assert event == {
        "type": "error",
        "error": "not found",
        "topic": "document",
        "id": document.pk,
    }
    await _type(socket, document.pk, doc, 0, "trop tard")
    event = await socket.receive_json_from(timeout=3)
    while event.get("type") != "error":
        event = await socket.receive_json_from(timeout=3)
    assert event["error"] == "not found"
    assert await sync_to_async(LiveUpdate.objects.count)() == 0
    await socket.disconnect()


async def test_a_checkpoint_merges_a_form_save_into_the_live_text(shared):
    alice, bob, document = shared
    ref = document.pk
    a, doc_a, _ = await _editor(alice, ref)
    await _type(a, ref, doc_a, 0, "Live. ")
    await _next(a, "update")
    # Meanwhile Bob saves through the form, from the same revision.
    await sync_to_async(services.document_save)(
        by=bob, document=document, body="Début.\nDe Bob.\n", base_revision=1
    )
    await _send(a, ref, kind="checkpoint")
    checkpoint = await _next(a, "checkpoint")
    update = await _next(a, "update")
    assert update["by"] is None  # the server's own change: Bob's line
    doc_a.apply_update(base64.b64decode(update["update"]))
    assert str(doc_a.get("body", type=Text)) == "Live. Début.\nDe Bob.\n"
    document = await sync_to_async(type(document).objects.get)(pk=ref)
    assert document.body == "Live. Début.\nDe Bob.\n"
    assert document.revision_number == checkpoint["revision"] == 3
    await a.disconnect()
