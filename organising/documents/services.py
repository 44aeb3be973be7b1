"""Every write of documents: creating one, saving revisions (with the three-way
merge of concurrent saves), restoring, comments, amendments and their application,
files beside documents.

Keyword-only, atomic, an audit row in the same transaction. A save takes the
document's row lock, so two saves of one document are serialised and numbered
one after the other.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Audience, Group, Unit
from organising.audit.services import audit_record
from organising.files import RefusedUpload
from organising.messaging.text import DANGEROUS_MARKUP, render_text
from organising.queueing import enqueue_on_commit

from . import textops
from .models import (
    BODY_MAX_BYTES,
    SNAPSHOT_EVERY,
    Amendment,
    Attachment,
    Comment,
    Document,
    Draft,
    Folder,
    Revision,
)

FILE_MAX_BYTES = 10 * 1024 * 1024
UNIT_FILES_MAX_BYTES = 500 * 1024 * 1024


# --- Checks ------------------------------------------------------------------------


def _check_body(body: str) -> None:
    if len(body.encode("utf-8")) > BODY_MAX_BYTES:
        raise ValidationError(
            {"body": _("The text is too long: at most 1 MB of Markdown.")}
        )
    if "\x00" in body:
        raise ValidationError({"body": _("The text holds a null character.")})


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the document a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("At most 200 characters.")})
    if DANGEROUS_MARKUP.search(title):
        raise ValidationError(
            {"title": _("Scripts and HTML are not allowed: write plain text.")}
        )
    return title


def _check_audience(document: Document) -> None:
    """A unit's document is for the public, the party, or that unit (alone, with
    the units below, or its officers); a group's for the group or the public."""
    if document.audience not in Audience.values:
        raise ValidationError({"audience": _("Choose an audience.")})
    if document.group_id:
        if document.audience not in (Audience.GROUP, Audience.PUBLIC):
            raise ValidationError(
                {"audience": _("A group's document is for the group or the public.")}
            )
    elif document.audience == Audience.GROUP:
        raise ValidationError({"audience": _("A unit's document is not for a group.")})
    document.audience_unit = (
        document.unit
        if document.audience in (Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS)
        else None
    )
    document.audience_group = (
        document.group if document.audience == Audience.GROUP else None
    )


# --- Revisions -----------------------------------------------------------------------


def _locked(document: Document) -> Document:
    # Without the rendered HTML and the search vector (as large as the text again).
    return (
        Document.objects.select_for_update()
        .defer("body_html", "search_vector")
        .get(pk=document.pk)
    )


def _add_revision(
    *, document: Document, body: str, by, summary: str, base_number, **extra
) -> Revision:
    """Store `body` as the document's next revision (snapshot or delta) and make it
    current. The caller holds the document's row lock."""
    number = document.revision_number + 1
    fields = {}
    if (number - 1) % SNAPSHOT_EVERY == 0:
        fields["snapshot"] = body
    else:
        fields["delta"] = textops.make_delta(document.body, body)
    revision = Revision.objects.create(
        document=document,
        number=number,
        author=by if getattr(by, "is_authenticated", False) else None,
        summary=summary.strip()[:300],
        base_number=base_number,
        title=document.title,
        length=len(body),
        **fields,
        **extra,
    )
    document.body = body
    document.revision_number = number
    document.save(update_fields=["body", "revision_number", "updated_at", "title"])
    if connection.vendor == "postgresql":
        # Off the save's path (to_tsvector of 500 KB takes longer than the save);
        # run inline if the broker is down.
        from .tasks import document_index_task

        pk = document.pk
        enqueue_on_commit(
            document_index_task, pk, fallback=lambda: document_index(document_id=pk)
        )
    return revision


def document_index(*, document_id: int) -> None:
    """Refresh the French full-text vector of the title and text (PostgreSQL;
    positions stripped to stay small on long texts)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_document SET search_vector = strip("
            "setweight(to_tsvector('french', title), 'A') || "
            "setweight(to_tsvector('french', body), 'B')) WHERE id = %s",
            [document_id],
        )


def revision_body(revision: Revision) -> str:
    """The whole text of a revision: its snapshot, or the snapshot before it with
    the deltas since (at most SNAPSHOT_EVERY - 1 of them, in one query)."""
    if revision.snapshot is not None:
        return revision.snapshot
    first = revision.number - (revision.number - 1) % SNAPSHOT_EVERY
    rows = (
        Revision.objects.filter(
            document_id=revision.document_id,
            number__gte=first,
            number__lte=revision.number,
        )
        .order_by("number")
        .values_list("snapshot", "delta")
    )
    text_lines: list[str] = []
    for snapshot, delta in rows:
        if snapshot is not None:
            text_lines = textops.lines(snapshot)
        else:
            text_lines = textops.apply_delta(text_lines, delta)
    return "".join(text_lines)


def rendered(document: Document) -> str:
    """The current text as sanitised HTML, rendered once per revision."""
    if document.html_revision != document.revision_number or not document.body_html:
        document.body_html = textops.render_markdown(document.body)
        document.html_revision = document.revision_number
        Document.objects.filter(
            pk=document.pk, revision_number=document.revision_number
        ).update(body_html=document.body_html, html_revision=document.html_revision)
    return document.body_html


@dataclass
class SaveResult:
    """What became of a save: the new revision, or (conflict) nothing saved yet:
    the merged text with both versions of each overlap, to resolve and save again
    from `base_number` (the editor's whole text is kept as a Draft meanwhile)."""

    revision: Revision | None
    merged: bool = False
    conflict: bool = False
    text: str = ""
    base_number: int = 0
    conflicts: list = field(default_factory=list)


def _base_or_error(document: Document, base_number) -> int:
    try:
        base = int(base_number)
    except (TypeError, ValueError):
        raise ValidationError(
            {"base_revision": _("Give the revision this text started from.")}
        ) from None
    if (
        base < 0
        or base > document.revision_number
        or (base == 0 and document.revision_number > 0)
    ):
        raise ValidationError(
            {"base_revision": _("This document has no revision %(n)s.") % {"n": base}}
        )
    return base


@transaction.atomic
def document_save(
    *,
    by,
    document: Document,
    body: str,
    base_revision,
    summary: str = "",
    title: str | None = None,
    origin: str = Revision.Origin.EDIT,
) -> SaveResult:
    """Save `body`, written from revision `base_revision`. If others saved since,
    their changes and these are merged where they do not overlap (a revision of
    origin "merge"); where they do, nothing is saved and the result shows both."""
    access.require(by, "document.edit", document)
    body = body.replace("\r\n", "\n")
    _check_body(body)
    document = _locked(document)
    if title is not None:
        document.title = _check_title(title)
    base = _base_or_error(document, base_revision)
    current = document.revision_number
    merged = False
    if base != current:
        base_text = revision_body(document.revisions.get(number=base))
        merge = textops.merge3(
            base_text,
            document.body,
            body,
            mine_label=_("your version"),
            theirs_label=_("revision %(n)s") % {"n": current},
        )
        if not merge.clean:
            Draft.objects.update_or_create(
                document=document,
                author=by,
                defaults={"base_number": base, "body": body},
            )
            return SaveResult(
                revision=None,
                conflict=True,
                text=merge.text,
                base_number=current,
                conflicts=merge.conflicts,
            )
        body, merged = merge.text, True
        if origin == Revision.Origin.EDIT:
            origin = Revision.Origin.MERGE
        _check_body(body)
    if body == document.body and title is None and document.revision_number:
        # Nothing changed: no empty revision (a double click saves once).
        Draft.objects.filter(document=document, author=by).delete()
        return SaveResult(
            revision=document.revisions.get(number=current), base_number=current
        )
    revision = _add_revision(
        document=document,
        body=body,
        by=by,
        summary=summary,
        base_number=base or None,
        origin=origin,
    )
    Draft.objects.filter(document=document, author=by).delete()
    audit_record(
        actor=by,
        action="document.save",
        target=document,
        unit=document.owner_unit,
        data={"revision": revision.number, "merged": merged},
    )
    return SaveResult(revision=revision, merged=merged, base_number=revision.number)


@transaction.atomic
def document_create(
    *,
    by,
    owner: Unit | Group,
    title: str,
    body: str = "",
    audience: str = "",
    folder: Folder | None = None,
    editors: str = Document.Editors.AUTHOR,
    amendments_until=None,
    summary: str = "",
) -> Document:
    """A new document in `owner`'s documents, with its first revision."""
    access.require(by, "document.create", owner)
    body = body.replace("\r\n", "\n")
    _check_body(body)
    if editors not in Document.Editors.values:
        raise ValidationError({"editors": _("Choose who may edit.")})
    is_group = isinstance(owner, Group)
    if folder is not None and (is_group or folder.unit_id != owner.pk):
        raise ValidationError({"folder": _("This folder is not this unit's.")})
    document = Document(
        unit=None if is_group else owner,
        group=owner if is_group else None,
        folder=folder,
        title=_check_title(title),
        editors=editors,
        audience=audience or (Audience.GROUP if is_group else Audience.UNIT),
        amendments_until=amendments_until,
        created_by=by,
    )
    _check_audience(document)
    if not access.can_address(
        by, document.audience, document.audience_unit, document.audience_group
    ):
        raise ValidationError({"audience": _("You may not publish to this audience.")})
    document.save()
    _add_revision(
        document=document,
        body=body,
        by=by,
        summary=summary or _("First version"),
        base_number=None,
    )
    audit_record(
        actor=by, action="document.create", target=document, unit=document.owner_unit
    )
    return document


@transaction.atomic
def document_settings(
    *,
    by,
    document: Document,
    title: str,
    audience: str,
    editors: str,
    folder: Folder | None,
    amendments_until,
) -> Document:
    """Change a document's title, audience, editors, folder, amendment deadline."""
    access.require(by, "document.manage", document)
    document = _locked(document)
    if editors not in Document.Editors.values:
        raise ValidationError({"editors": _("Choose who may edit.")})
    if folder is not None and folder.unit_id != document.unit_id:
        raise ValidationError({"folder": _("This folder is not this unit's.")})
    document.title = _check_title(title)
    document.audience = audience
    document.editors = editors
    document.folder = folder
    document.amendments_until = amendments_until
    _check_audience(document)
    if not access.can_address(
        by, document.audience, document.audience_unit, document.audience_group
    ):
        raise ValidationError({"audience": _("You may not publish to this audience.")})
    document.save()
    audit_record(
        actor=by, action="document.settings", target=document, unit=document.owner_unit
    )
    return document


@transaction.atomic
def folder_create(*, by, unit: Unit, name: str) -> Folder:
    access.require(by, "document.create", unit)
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": _("Give the folder a name (120 characters).")})
    folder, _created = Folder.objects.get_or_create(unit=unit, name=name)
    return folder


@transaction.atomic
def revision_restore(*, by, document: Document, number: int) -> Revision:
    """Make revision `number`'s text the current one again, as a new revision."""
    access.require(by, "document.restore", document)
    document = _locked(document)
    old = document.revisions.filter(number=number).first()
    if old is None:
        raise ValidationError(
            {"revision": _("This document has no revision %(n)s.") % {"n": number}}
        )
    revision = _add_revision(
        document=document,
        body=revision_body(old),
        by=by,
        summary=_("Restored revision %(n)s") % {"n": number},
        base_number=document.revision_number,
        origin=Revision.Origin.RESTORE,
        restored_from=number,
    )
    audit_record(
        actor=by,
        action="document.restore",
        target=document,
        unit=document.owner_unit,
        data={"from": number, "revision": revision.number},
    )
    return revision


def revisions_diff(document: Document, a: int, b: int) -> list[textops.Hunk]:
    """Words added and removed from revision `a` to revision `b`."""
    found = {r.number: r for r in document.revisions.filter(number__in=[a, b])}
    for name, number in (("from", a), ("to", b)):
        if number not in found:
            raise ValidationError(
                {name: _("This document has no revision %(n)s.") % {"n": number}}
            )
    return textops.word_diff(revision_body(found[a]), revision_body(found[b]))


# --- Comments -------------------------------------------------------------------------


def _comment_html(body: str) -> str:
    return render_text(body).html


@transaction.atomic
def comment_create(
    *,
    by,
    document: Document,
    body: str,
    quote: str = "",
    offset: int = 0,
    parent: Comment | None = None,
) -> Comment:
    """A comment on a passage of the current text (its quote and position), or a
    reply to a comment (`parent`: the thread's first comment)."""
    access.require(by, "document.comment", document)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    if len(body) > 5000:
        raise ValidationError({"body": _("At most 5,000 characters.")})
    if parent is not None:
        if parent.document_id != document.pk:
            raise ValidationError(
                {"parent": _("This comment is not on this document.")}
            )
        parent = parent.parent or parent
        quote, offset = "", 0
    else:
        quote = quote.strip()[:1000]
        if quote:
            found = _find(document.body, quote, offset)
            if found is None:
                raise ValidationError(
                    {"quote": _("This passage is not in the current text.")}
                )
            offset = found
    comment = Comment.objects.create(
        document=document,
        parent=parent,
        author=by,
        revision_number=document.revision_number,
        quote=quote,
        offset=max(0, int(offset)),
        body=body,
        body_html=_comment_html(body),
    )
    audit_record(actor=by, action="comment.create", target=comment)
    return comment


@transaction.atomic
def comment_resolve(*, by, comment: Comment, resolved: bool = True) -> Comment:
    access.require(by, "comment.resolve", comment)
    comment = comment.parent or comment
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by = by if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(actor=by, action="comment.resolve", target=comment)
    return comment


# --- Amendments --------------------------------------------------------------------


def _find(text: str, passage: str, near: int = 0) -> int | None:
    """Where `passage` is in `text`: the occurrence closest to `near`."""
    if not passage:
        return None
    best = None
    start = text.find(passage)
    while start != -1:
        if best is None or abs(start - near) < abs(best - near):
            best = start
        start = text.find(passage, start + 1)
    return best


@transaction.atomic
def amendment_propose(
    *,
    by,
    document: Document,
    kind: str,
    quote: str,
    text: str = "",
    justification: str,
    offset: int = 0,
    on_behalf_of: Unit | None = None,
    submitted_from: Amendment | None = None,
) -> Amendment:
    """An amendment to the passage `quote` of the current text: replace it by
    `text`, insert `text` after it, or delete it."""
    access.require(by, "amendment.propose", document)
    document = _locked(document)
    if not document.amendments_open:
        raise ValidationError(
            {"document": _("Amendments to this document are closed.")}
        )
    if kind not in Amendment.Kind.values:
        raise ValidationError({"kind": _("Replace, insert or delete.")})
    quote = quote.replace("\r\n", "\n")
    text = text.replace("\r\n", "\n")
    if not quote.strip():
        raise ValidationError({"quote": _("Quote the passage to amend.")})
    position = _find(document.body, quote, offset)
    if position is None:
        raise ValidationError({"quote": _("This passage is not in the current text.")})
    if kind != Amendment.Kind.DELETE and not text.strip():
        raise ValidationError({"text": _("Write the new text.")})
    if not justification.strip():
        raise ValidationError({"justification": _("Say why.")})
    for name, value in (("text", text), ("justification", justification)):
        if len(value) > 20000:
            raise ValidationError({name: _("At most 20,000 characters.")})
    if on_behalf_of is not None and not access.can(by, "document.create", on_behalf_of):
        raise ValidationError({"on_behalf_of": _("You do not speak for this unit.")})
    last = document.amendments.order_by("-number").values_list("number", flat=True)
    amendment = Amendment.objects.create(
        document=document,
        number=(last.first() or 0) + 1,
        author=by,
        on_behalf_of=on_behalf_of,
        submitted_from=submitted_from,
        kind=kind,
        quote=quote,
        offset=position,
        text="" if kind == Amendment.Kind.DELETE else text,
        justification=justification.strip(),
        revision_number=document.revision_number,
    )
    audit_record(
        actor=by, action="amendment.propose", target=amendment, unit=document.owner_unit
    )
    return amendment


def amended_text(body: str, amendment: Amendment) -> str | None:
    """The text with the amendment applied, or None if its passage is gone."""
    position = _find(body, amendment.quote, amendment.offset)
    if position is None:
        return None
    end = position + len(amendment.quote)
    if amendment.kind == Amendment.Kind.REPLACE:
        return body[:position] + amendment.text + body[end:]
    if amendment.kind == Amendment.Kind.INSERT:
        return body[:end] + amendment.text + body[end:]
    return body[:position] + body[end:]


def _transition(amendment: Amendment, status: str) -> None:
    if status not in Amendment.TRANSITIONS[amendment.status]:
        raise ValidationError(
            {
                "status": _("This amendment can no longer be %(status)s.")
                % {"status": Amendment.Status(status).label}
            }
        )
    amendment.status = status


@transaction.atomic
def amendment_decide(*, by, amendment: Amendment, status: str) -> Amendment:
    """Accept (the text changes, a revision citing the amendment), reject, or send
    to a vote."""
    access.require(by, "amendment.decide", amendment)
    document = _locked(amendment.document)
    amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
    if status not in (
        Amendment.Status.ACCEPTED,
        Amendment.Status.REJECTED,
        Amendment.Status.VOTING,
    ):
        raise ValidationError({"status": _("Accept, reject or send to a vote.")})
    _transition(amendment, status)
    if status == Amendment.Status.ACCEPTED:
        _apply(by=by, document=document, amendment=amendment)
    elif status == Amendment.Status.VOTING:
        amendment.vote_id = _send_to_vote(by=by, document=document, amendment=amendment)
    amendment.decided_by = by
    amendment.decided_at = timezone.now()
    amendment.save()
    audit_record(
        actor=by,
        action=f"amendment.{status}",
        target=amendment,
        unit=document.owner_unit,
    )
    return amendment


VOTE_DAYS = 7
VOTE_SUBJECT = "documents.amendment:"


def _send_to_vote(*, by, document: Document, amendment: Amendment) -> int:
    """A motion (for, against, abstain) in the votes capability, open now for
    VOTE_DAYS, whose electorate is the document's audience (the owner unit and below
    for a public or party-wide document)."""
    from organising.votes.services import vote_create, vote_open

    if document.group_id:
        electorate = {"audience": "group", "group": document.group}
    elif document.audience in (Audience.UNIT, Audience.OFFICERS):
        electorate = {"audience": document.audience, "unit": document.unit}
    else:
        electorate = {"audience": "unit_tree", "unit": document.unit}
    change = {
        Amendment.Kind.REPLACE: _("Replace “%(quote)s” by “%(text)s”"),
        Amendment.Kind.INSERT: _("After “%(quote)s”, insert “%(text)s”"),
        Amendment.Kind.DELETE: _("Delete “%(quote)s”"),
    }[amendment.kind] % {"quote": amendment.quote[:2000], "text": amendment.text[:2000]}
    now = timezone.now()
    vote = vote_create(
        by=by,
        title=(
            _("Amendment %(n)s to %(title)s")
            % {"n": amendment.number, "title": document.title}
        )[:200],
        text=f"{change}\n\n{amendment.justification}",
        kind="motion",
        opens_at=now,
        closes_at=now + timedelta(days=VOTE_DAYS),
        subject=f"{VOTE_SUBJECT}{amendment.pk}",
        **electorate,
    )
    vote_open(vote=vote, by=by)
    return vote.pk


def on_vote_closed(sender, vote, result, **kwargs) -> None:
    """votes.signals.vote_closed: an amendment's vote decides it."""
    subject = getattr(vote, "subject", "") or ""
    if not subject.startswith(VOTE_SUBJECT):
        return
    try:
        amendment_id = int(subject.removeprefix(VOTE_SUBJECT))
    except ValueError:
        return
    if Amendment.objects.filter(pk=amendment_id, vote_id=vote.pk).exists():
        amendment_vote_closed(amendment_id=amendment_id, adopted=bool(result.adopted))


def _apply(*, by, document: Document, amendment: Amendment) -> None:
    new = amended_text(document.body, amendment)
    if new is None:
        raise ValidationError(
            {
                "quote": _(
                    "The passage this amendment changes is no longer in the "
                    "text: it cannot be applied."
                )
            }
        )
    _check_body(new)
    revision = _add_revision(
        document=document,
        body=new,
        by=by,
        summary=_("Amendment %(n)s accepted") % {"n": amendment.number},
        base_number=document.revision_number,
        origin=Revision.Origin.AMENDMENT,
        amendment=amendment,
    )
    amendment.applied_revision = revision.number


@transaction.atomic
def amendment_withdraw(*, by, amendment: Amendment) -> Amendment:
    access.require(by, "amendment.withdraw", amendment)
    _transition(amendment, Amendment.Status.WITHDRAWN)
    amendment.save(update_fields=["status"])
    audit_record(actor=by, action="amendment.withdraw", target=amendment)
    return amendment


@transaction.atomic
def amendment_submit(*, by, amendment: Amendment, to: Document) -> Amendment:
    """Carry an amendment adopted below up the tree: the cell's officers propose it
    to a document of a unit above, on behalf of their unit."""
    access.require(by, "amendment.submit", amendment)
    unit = amendment.document.unit
    if to.unit_id is None or not unit.is_within(to.unit) or to.unit_id == unit.pk:
        raise ValidationError({"to": _("Submit it to a document of a unit above.")})
    return amendment_propose(
        by=by,
        document=to,
        kind=amendment.kind,
        quote=amendment.quote,
        text=amendment.text,
        justification=amendment.justification,
        offset=amendment.offset,
        on_behalf_of=unit,
        submitted_from=amendment,
    )


def amendment_vote_closed(*, amendment_id: int, adopted: bool) -> None:
    """The vote on an amendment closed: adopted amendments are applied (by nobody in
    particular: the vote decided), others rejected. Safe to call twice."""
    with transaction.atomic():
        amendment = Amendment.objects.select_for_update().get(pk=amendment_id)
        if amendment.status != Amendment.Status.VOTING:
            return
        document = _locked(amendment.document)
        amendment.status = (
            Amendment.Status.ACCEPTED if adopted else Amendment.Status.REJECTED
        )
        if adopted:
            _apply(by=None, document=document, amendment=amendment)
        amendment.decided_at = timezone.now()
        amendment.save()
        audit_record(actor=None, action="amendment.vote_closed", target=amendment)


# --- Files ------------------------------------------------------------------------

# Extension -> (content type, a check of the bytes).
OFFICE_ZIP = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
OLE = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
IMAGES = {"png", "jpg", "jpeg", "gif", "webp"}
ALLOWED_EXTENSIONS = {"pdf", *OFFICE_ZIP, *OLE, *IMAGES}


def clean_file_name(name: str) -> str:
    """A name fit to show and to offer for download: no folders, no control or
    markup characters, at most 200 characters, the extension kept."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(
        c for c in name if unicodedata.category(c)[0] != "C" and c not in "<>\"'`&"
    ).strip(" .")
    if not name:
        name = "file"
    stem, dot, extension = name.rpartition(".")
    if dot and len(name) > 200:
        name = stem[: 199 - len(extension)] + "." + extension
    return name[:200]


def _office_zip_ok(data: bytes, extension: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if extension in ("docx", "xlsx", "pptx"):
                return "[Content_Types].xml" in names
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            return mimetype == OFFICE_ZIP[extension]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False


@transaction.atomic
def attachment_upload(*, by, document: Document, upload) -> Attachment:
    """Keep a file beside the document if its bytes are what its name says (PDF,
    office document, image: images are re-encoded without their metadata) and it
    fits the per-file and per-unit limits."""
    from organising.messaging.images import image_clean

    access.require(by, "file.upload", document)
    if isinstance(upload, RefusedUpload) or (upload.size or 0) > FILE_MAX_BYTES:
        raise ValidationError({"file": _("A file may weigh at most 10 MB.")})
    name = clean_file_name(upload.name or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            {"file": _("Send a PDF, an office document or an image.")}
        )
    mismatch = ValidationError(
        {"file": _("This file's content is not a .%(ext)s file.") % {"ext": extension}}
    )
    if extension in IMAGES:
        content = image_clean(upload, "file")
        content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[
            content.name.rpartition(".")[2]
        ]
        stem = name.rpartition(".")[0]
        name = f"{stem}.{content.name.rpartition('.')[2]}"
        data = content.read()
    else:
        data = upload.read(FILE_MAX_BYTES + 1)
        if len(data) > FILE_MAX_BYTES:
            raise ValidationError({"file": _("A file may weigh at most 10 MB.")})
        if extension == "pdf":
            ok, content_type = data.startswith(b"%PDF-"), "application/pdf"
        elif extension in OLE:
            ok = data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
            content_type = OLE[extension]
        else:
            ok, content_type = _office_zip_ok(data, extension), OFFICE_ZIP[extension]
        if not ok:
            raise mismatch
    unit = Unit.objects.select_for_update().get(pk=document.owner_unit.pk)
    used = (
        Attachment.objects.filter(unit=unit).aggregate(total=Sum("size"))["total"] or 0
    )
    limit = getattr(settings, "DOCUMENTS_UNIT_FILES_MAX_BYTES", UNIT_FILES_MAX_BYTES)
    if used + len(data) > limit:
        raise ValidationError(
            {
                "file": _("This unit's files are full (%(n)d MB): remove some first.")
                % {"n": limit // (1024 * 1024)}
            }
        )
    attachment = Attachment(
        document=document,
        unit=unit,
        name=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=by,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    audit_record(actor=by, action="file.upload", target=attachment, unit=unit)
    return attachment


@transaction.atomic
def attachment_delete(*, by, attachment: Attachment) -> None:
    access.require(by, "file.upload", attachment.document)
    audit_record(
        actor=by, action="file.delete", target=attachment, unit=attachment.unit
    )
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))
