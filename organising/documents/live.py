"""Live co-editing over the site's one socket: the "document" topic
(`organising.topics`).

The page holds a Yjs document whose text "body" is the document's Markdown; the
server holds the same with pycrdt. Messages from the page ({"type": "topic.send",
"topic": "document", "id": <pk>, "kind": ...}):

- "sync": the whole state back to that tab (created from the current revision the
  first time), and the editor's presence to the others;
- "update": one Yjs update (base64). Checked against `document.live` one by one (a
  reader may watch, not write), applied (an undecodable update is refused), stored
  in PostgreSQL in the same transaction, then passed to every watcher through the
  channel layer (several ASGI processes). Every COMPACT_EVERY updates the state is
  compacted into the snapshot; every CHECKPOINT_EVERY updates (and on "checkpoint")
  the text is saved as a revision, merged three-way with saves made meanwhile;
- "presence": a heartbeat saying who is editing.

An editor whose rights end: the socket asks `groups` again and drops the watch
(None), and from then on each update is refused anyway.
"""

from __future__ import annotations

import base64
import binascii

from channels.db import database_sync_to_async
from django.db import transaction
from pycrdt import Doc, Text

from federation import access
from organising import topics

from .models import BODY_MAX_BYTES, Document, LiveState, LiveUpdate, Revision

TOPIC = "document"
COMPACT_EVERY = 200
CHECKPOINT_EVERY = 100
MAX_MESSAGE = 1_500_000  # base64 of a 1 MB paste, and some

# Per ASGI process: document id -> (Doc, last LiveUpdate id applied). Only a cache:
# missing or behind, it is rebuilt or caught up from PostgreSQL.
_DOCS: dict[int, tuple[Doc, int]] = {}


def group(document_id: int) -> str:
    return f"documents.live.{document_id}"


def groups(user, ref: int) -> list[str] | None:
    """Who may watch: whoever reads the document (updates are checked apart)."""
    document = (
        Document.objects.filter(pk=ref)
        .select_related("unit", "group", "audience_unit", "audience_group")
        .first()
    )
    if document is None or not access.can(user, "document.view", document):
        return None
    return [group(ref)]


def _text_of(doc: Doc) -> str:
    return str(doc.get("body", type=Text))


def _state_locked(document: Document) -> LiveState:
    """The live state row, locked; made from the current text the first time."""
    state = LiveState.objects.select_for_update().filter(document=document).first()
    if state is None:
        doc = Doc()
        doc.get("body", type=Text).insert(0, document.body)
        LiveState.objects.get_or_create(
            document=document,
            defaults={
                "snapshot": doc.get_update(),
                "base_revision": document.revision_number,
            },
        )
        state = LiveState.objects.select_for_update().get(document=document)
    return state


def _doc(document_id: int, state: LiveState) -> Doc:
    """The process's Doc for the document, caught up with every stored update."""
    cached = _DOCS.get(document_id)
    if cached is None or cached[1] < state.compacted_to:
        doc = Doc()
        doc.apply_update(bytes(state.snapshot))
        last = state.compacted_to
    else:
        doc, last = cached
    for pk, update in (
        LiveUpdate.objects.filter(document_id=document_id, id__gt=last)
        .order_by("id")
        .values_list("id", "update")
    ):
        doc.apply_update(bytes(update))
        last = pk
    _DOCS[document_id] = (doc, last)
    return doc


def forget(document_id: int) -> None:
    _DOCS.pop(document_id, None)


def _document(ref: int) -> Document | None:
    return (
        Document.objects.filter(pk=ref)
        .select_related("unit", "group", "audience_unit", "audience_group")
        .first()
    )


def _who(user) -> dict:
    return {"user_id": user.pk, "name": getattr(user, "display_name", "") or str(user)}


@transaction.atomic
def sync(user, ref: int) -> tuple[dict | None, dict | None]:
    document = _document(ref)
    if document is None or not access.can(user, "document.view", document):
        return {"kind": "error", "error": "not found"}, None
    state = _state_locked(document)
    doc = _doc(ref, state)
    editing = access.can(user, "document.live", document)
    reply = {
        "kind": "state",
        "update": base64.b64encode(doc.get_update()).decode(),
        "editing": editing,
        "base_revision": state.base_revision,
    }
    return reply, ({"kind": "presence", **_who(user)} if editing else None)


@transaction.atomic
def receive_update(user, ref: int, encoded) -> tuple[dict | None, list[dict]]:
    """Check, apply, store one update; (a reply to the sender, what to broadcast)."""
    document = _document(ref)
    if document is None or not access.can(user, "document.view", document):
        return {"kind": "error", "error": "not found"}, []
    if not access.can(user, "document.live", document):
        return {"kind": "error", "error": "read only"}, []
    try:
        update = base64.b64decode(encoded or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        return {"kind": "error", "error": "bad update"}, []
    state = _state_locked(document)  # one writer at a time, across processes
    doc = _doc(ref, state)
    try:
        doc.apply_update(update)
    except ValueError:
        forget(ref)
        return {"kind": "error", "error": "bad update"}, []
    if len(_text_of(doc).encode()) > BODY_MAX_BYTES:
        forget(ref)  # the cached doc took it; the database did not
        return {"kind": "error", "error": "too long"}, []
    stored = LiveUpdate.objects.create(document=document, update=update, author=user)
    _DOCS[ref] = (doc, stored.pk)
    out = [{"kind": "update", "update": encoded, "by": user.pk}]
    pending = LiveUpdate.objects.filter(
        document_id=ref, id__gt=state.compacted_to
    ).count()
    if pending % CHECKPOINT_EVERY == 0:
        out += _checkpoint(user, document, state, doc)
    if pending >= COMPACT_EVERY:
        _compact(state, doc, stored.pk)
    return None, out


def _compact(state: LiveState, doc: Doc, up_to: int) -> None:
    state.snapshot = doc.get_update()
    state.compacted_to = up_to
    state.save(update_fields=["snapshot", "compacted_to", "updated_at"])
    LiveUpdate.objects.filter(document_id=state.document_id, id__lte=up_to).delete()


def _checkpoint(user, document: Document, state: LiveState, doc: Doc) -> list[dict]:
    """Save the live text as a revision from the live base (merged with saves made
    through the form meanwhile); if the merge changed the text, put the change in
    the live document too, as the server's own update."""
    from . import services

    text = _text_of(doc)
    result = services.document_save(
        by=user,
        document=document,
        body=text,
        base_revision=state.base_revision,
        summary="",
        origin=Revision.Origin.LIVE,
    )
    if result.conflict or result.revision is None:
        return []
    state.base_revision = result.revision.number
    state.save(update_fields=["base_revision", "updated_at"])
    merged = Document.objects.values_list("body", flat=True).get(pk=document.pk)
    out = [{"kind": "checkpoint", "revision": result.revision.number}]
    if merged != text:
        before = doc.get_state()
        body = doc.get("body", type=Text)
        start = 0
        while start < min(len(text), len(merged)) and text[start] == merged[start]:
            start += 1
        end_old, end_new = len(text), len(merged)
        while (
            end_old > start
            and end_new > start
            and text[end_old - 1] == merged[end_new - 1]
        ):
            end_old, end_new = end_old - 1, end_new - 1
        # pycrdt counts in UTF-8 bytes (Yjs in UTF-16 units: updates carry no
        # offsets, only item ids, so both sides agree).
        at = len(text[:start].encode())
        with doc.transaction():
            if end_old > start:
                del body[at : at + len(text[start:end_old].encode())]
            if end_new > start:
                body.insert(at, merged[start:end_new])
        update = doc.get_update(before)
        stored = LiveUpdate.objects.create(document=document, update=update)
        _DOCS[document.pk] = (doc, stored.pk)
        out.append(
            {"kind": "update", "update": base64.b64encode(update).decode(), "by": None}
        )
    return out


@transaction.atomic
def checkpoint(user, ref: int) -> list[dict]:
    document = _document(ref)
    if document is None or not access.can(user, "document.live", document):
        return []
    state = _state_locked(document)
    return _checkpoint(user, document, state, _doc(ref, state))


async def _broadcast(consumer, ref: int, payloads: list[dict]) -> None:
    for payload in payloads:
        await consumer.channel_layer.group_send(
            group(ref), topics.event(TOPIC, ref, payload)
        )


async def _reply(consumer, ref: int, payload: dict) -> None:
    await consumer.send(text_data=topics.frame(TOPIC, ref, payload))


async def receive(consumer, ref: int, message: dict) -> None:
    kind = message.get("kind")
    user = consumer.user
    if kind == "sync":
        reply, presence = await database_sync_to_async(sync)(user, ref)
        await _reply(consumer, ref, reply)
        if presence:
            await _broadcast(consumer, ref, [presence])
    elif kind == "update":
        reply, out = await database_sync_to_async(receive_update)(
            user, ref, message.get("update")
        )
        if reply:
            await _reply(consumer, ref, reply)
        await _broadcast(consumer, ref, out)
    elif kind == "checkpoint":
        await _broadcast(
            consumer, ref, await database_sync_to_async(checkpoint)(user, ref)
        )
    elif kind == "presence":
        # No query: a watcher who may not edit only claims presence, shown as such.
        await _broadcast(
            consumer,
            ref,
            [{"kind": "presence", **_who(user)}],
        )


def register() -> None:
    topics.register(
        topics.Topic(TOPIC, groups=groups, receive=receive, max_message=MAX_MESSAGE)
    )
