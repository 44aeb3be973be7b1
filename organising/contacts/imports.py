"""Importing contacts from a CSV or vCard file, and exporting those one may see.

An import is read twice: once for its preview (each row: would be created, merged
into an existing contact of the unit by e-mail, or rejected and why), once when the
officer confirms, in ONE transaction (a file is applied whole or not at all). A file
of more than `BACKGROUND_ROWS` rows is previewed and applied by a Celery job. Rows
are handled in chunks of `CHUNK` (one query for the chunk's known e-mails, one bulk
insert), so 50,000 rows take a bounded number of queries and bounded memory beyond
the file itself (at most `MAX_BYTES`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from organising import ratelimits
from organising.audit.services import audit_record
from organising.csvexport import csv_response
from organising.queueing import enqueue_on_commit

from . import cards
from .models import Consent, Contact, ContactImport
from .services import (
    _covers,
    _fill_blanks,
    clean_fields,
    fold,
    index_search,
)

logger = logging.getLogger(__name__)

BACKGROUND_ROWS = 2000
CHUNK = 1000
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}
COLUMNS = {
    "first_name": {"first name", "first_name", "firstname", "prenom", "given name"},
    "last_name": {
        "last name",
        "last_name",
        "lastname",
        "nom",
        "nom de famille",
        "family name",
        "surname",
    },
    "name": {"name", "full name", "nom complet", "prenom nom", "nom prenom"},
    "email": {
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "e-mail address",
    },
    "phone": {"phone", "telephone", "tel", "mobile", "portable", "tel.", "numero"},
    "address": {"address", "adresse", "adresse postale", "rue", "street"},
    "postcode": {"postcode", "code postal", "cp", "zip", "postal code"},
    "commune": {"commune", "ville", "city", "town", "localite"},
    "tags": {"tags", "etiquettes", "etiquette", "categories", "tag"},
    "notes": {"notes", "note", "commentaire", "commentaires", "remarques"},
}


# --- Reading files ---------------------------------------------------------------


def _decode(content: bytes, encoding: str) -> str:
    if (
        content[:4] == b"PK\x03\x04"
        or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    ):
        raise ValidationError(
            {
                "file": _(
                    "This is a spreadsheet, not CSV: save it as CSV, then import it."
                )
            }
        )
    if encoding not in ENCODINGS:
        raise ValidationError({"encoding": _("Choose an encoding.")})
    try:
        text = content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError:
        raise ValidationError(
            {
                "file": _(
                    "The file is not in %(encoding)s: export it again as “CSV UTF-8”, "
                    "or choose Windows-1252 if it comes from an older program."
                )
                % {"encoding": ENCODINGS[encoding]}
            }
        ) from None
    if "\x00" in text:
        raise ValidationError({"file": _("This does not look like a text file.")})
    return text


def _csv_rows(text: str) -> Iterator[tuple[int, dict]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if text[:4096].count(";") > text[:4096].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError({"file": _("The file is empty.")}) from None
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        plain = fold(name).strip('"')
        for field, names in COLUMNS.items():
            if plain in names and field not in columns:
                columns[field] = index
    if not {"first_name", "last_name", "name", "email", "phone"} & set(columns):
        raise ValidationError(
            {
                "file": _(
                    "The columns are not the expected ones. Needed: a name (or first "
                    "name and last name), an e-mail or a phone. Found: %(found)s."
                )
                % {"found": ", ".join(h.strip() for h in header if h.strip()) or "—"}
            }
        )
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue

            def cell(field: str, row=row) -> str:
                index = columns.get(field)
                return (
                    row[index].strip() if index is not None and index < len(row) else ""
                )

            fields = {
                name: cell(name)
                for name in COLUMNS
                if name != "name" and name in columns
            }
            if "name" in columns and not (cell("first_name") or cell("last_name")):
                parts = cell("name").split()
                fields["first_name"] = " ".join(parts[:-1])
                fields["last_name"] = parts[-1] if parts else ""
            yield reader.line_num, fields
    except csv.Error as error:
        raise ValidationError(
            {
                "file": _("The CSV file is malformed (line %(line)s): %(error)s")
                % {"line": reader.line_num, "error": error}
            }
        ) from None


def read_rows(
    *, content: bytes, format: str, encoding: str
) -> Iterator[tuple[int, dict]]:
    """(line or card number, raw fields) for each row of the file."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is too large (20 MB at most).")})
    text = _decode(bytes(content), encoding)
    if format == ContactImport.Format.VCARD:
        return cards.vcard_rows(text)
    if format == ContactImport.Format.CSV:
        return _csv_rows(text)
    raise ValidationError({"format": _("Choose CSV or vCard.")})


def _check_row(fields: dict) -> tuple[dict | None, str]:
    """The cleaned fields, or None and why the row is rejected."""
    try:
        cleaned = clean_fields(fields)
    except ValidationError as error:
        return None, "; ".join(
            f"{name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    if not any(
        cleaned.get(name) for name in ("first_name", "last_name", "email", "phone")
    ):
        return None, _("No name, e-mail address or phone.")
    return cleaned, ""


def _chunks(rows: Iterator[tuple[int, dict]]) -> Iterator[list[tuple[int, dict]]]:
    chunk: list[tuple[int, dict]] = []
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ValidationError(
                {"file": _("Too many rows (%(n)s at most).") % {"n": MAX_ROWS}}
            )
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- Preview and apply -----------------------------------------------------------


def _plan(batch: ContactImport, *, apply: bool, by) -> tuple[dict, list]:
    """Walk the file: each row's outcome (and, with `apply`, do it)."""
    unit = batch.unit
    covers = {
        kind
        for kind, on in (("email", batch.covers_email), ("phone", batch.covers_phone))
        if on
    }
    counts = {"create": 0, "merge": 0, "reject": 0}
    report: list = []
    seen: dict[str, Contact | None] = {}  # e-mails met earlier in this file
    rows = read_rows(
        content=batch.content, format=batch.format, encoding=batch.encoding
    )
    for chunk in _chunks(rows):
        checked = [(line, *_check_row(fields)) for line, fields in chunk]
        emails = {c["email"] for _l, c, _r in checked if c and c.get("email")}
        known = Contact.objects.filter(unit=unit, email__in=emails - set(seen))
        if apply:
            known = known.select_for_update()
        for contact in known:
            seen[contact.email] = contact
        creating: list[Contact] = []
        consent_for: list[Contact] = []
        for line, cleaned, reason in checked:
            if cleaned is None:
                counts["reject"] += 1
                report.append([line, "reject", reason])
                continue
            email = cleaned.get("email", "")
            if email and email in seen:
                counts["merge"] += 1
                report.append([line, "merge", ""])
                if apply:
                    existing = seen[email]
                    if existing.pk is None:  # created earlier in this chunk
                        _fill_blanks(existing, cleaned, save=False)
                    else:
                        _fill_blanks(existing, cleaned)
                        consent_for.append(existing)
                continue
            counts["create"] += 1
            report.append([line, "create", ""])
            contact = Contact(unit=unit, created_by=by, **cleaned)
            index_search(contact)
            if email:
                seen[email] = contact
            if apply:
                creating.append(contact)
        if apply:
            Contact.objects.bulk_create(creating, batch_size=500)
            for contact in creating:
                if contact.pk is None:  # a backend without RETURNING
                    raise RuntimeError("bulk_create returned no ids")
            Consent.objects.bulk_create(
                [
                    Consent(
                        contact_id=contact.pk,
                        source=batch.consent_source,
                        given_at=batch.consent_at,
                        covers_email="email" in covers,
                        covers_phone="phone" in covers,
                        recorded_by=by,
                    )
                    for contact in [*creating, *consent_for]
                ],
                batch_size=500,
            )
    if not report:
        raise ValidationError({"file": _("The file has no contact in it.")})
    return counts, report


@transaction.atomic
def import_create(
    *,
    unit: Unit,
    by,
    filename: str,
    content: bytes,
    format: str,
    consent_source: str,
    consent_covers: set[str],
    consent_at: datetime | None = None,
    encoding: str = "utf-8",
) -> ContactImport:
    """Read the file and prepare its preview (a large one in the background);
    nothing is imported until `import_apply_start`."""
    access.require(by, "contact.import", unit)
    ratelimits.charge("contact_import", member=by)
    covers = _covers(consent_covers)
    source = " ".join((consent_source or "").split())[:120]
    if not source:
        raise ValidationError({"consent_source": _("Say where the consent was given.")})
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is too large (20 MB at most).")})
    batch = ContactImport(
        unit=unit,
        format=format,
        filename=(filename or "contacts")[:200],
        encoding=encoding,
        content=bytes(content),
        consent_source=source,
        consent_at=consent_at or timezone.now(),
        covers_email="email" in covers,
        covers_phone="phone" in covers,
        created_by=by,
    )
    # Decode and read the start now, so that a wrong encoding, format or header is
    # answered at once, naming the field.
    rows = read_rows(content=batch.content, format=format, encoding=encoding)
    head = [row for _n, row in zip(range(BACKGROUND_ROWS + 1), rows, strict=False)]
    batch.save()
    if len(head) > BACKGROUND_ROWS:
        batch.state, batch.job = ContactImport.State.QUEUED, "preview"
        batch.save(update_fields=["state", "job"])
        _enqueue(batch)
    else:
        _preview(batch)
    audit_record(actor=by, action="contact.import_create", target=batch, unit=unit)
    return batch


def _preview(batch: ContactImport) -> None:
    counts, report = _plan(batch, apply=False, by=batch.created_by)
    batch.counts, batch.report, batch.rows_total = counts, report, len(report)
    batch.state, batch.job = ContactImport.State.PREVIEW, ""
    batch.save(update_fields=["counts", "report", "rows_total", "state", "job"])


def _enqueue(batch: ContactImport) -> None:
    from . import tasks

    enqueue_on_commit(tasks.import_run_task, batch.pk)


@transaction.atomic
def import_apply_start(*, batch: ContactImport, by) -> ContactImport:
    """Apply a previewed import now, or queue it when it is large."""
    access.require(by, "contact.import", batch.unit)
    batch = ContactImport.objects.select_for_update().get(pk=batch.pk)
    if batch.state != ContactImport.State.PREVIEW:
        raise ValidationError(
            {"state": _("This import is not waiting for confirmation.")}
        )
    if batch.rows_total > BACKGROUND_ROWS:
        batch.state, batch.job = ContactImport.State.QUEUED, "apply"
        batch.save(update_fields=["state", "job"])
        _enqueue(batch)
        return batch
    return _apply(batch, by=by)


def _apply(batch: ContactImport, *, by) -> ContactImport:
    counts, report = _plan(batch, apply=True, by=by)
    batch.counts = {
        "created": counts["create"],
        "merged": counts["merge"],
        "rejected": counts["reject"],
    }
    batch.report = [
        [
            line,
            {"create": "created", "merge": "merged", "reject": "rejected"}[outcome],
            why,
        ]
        for line, outcome, why in report
    ]
    batch.rows_total = len(report)
    batch.state, batch.job = ContactImport.State.DONE, ""
    batch.content = None
    batch.applied_at = timezone.now()
    batch.save()
    audit_record(
        actor=by,
        action="contact.import",
        target=batch,
        unit=batch.unit,
        data=batch.counts,
    )
    return batch


def import_run(*, batch_id: int) -> None:
    """The background job: the preview or the application of a large import. Safe
    twice: only a queued import is taken; a failure rolls everything back and the
    import says why."""
    claimed = ContactImport.objects.filter(
        pk=batch_id, state=ContactImport.State.QUEUED
    ).update(state=ContactImport.State.RUNNING)
    if not claimed:
        return
    batch = ContactImport.objects.select_related("unit", "created_by").get(pk=batch_id)
    try:
        with transaction.atomic():
            if batch.job == "preview":
                _preview(batch)
            else:
                _apply(batch, by=batch.created_by)
    except ValidationError as error:
        ContactImport.objects.filter(pk=batch_id).update(
            state=ContactImport.State.FAILED, error=" ".join(error.messages)[:300]
        )
    except Exception:
        # Rolled back; the import says it failed instead of running for ever.
        logger.exception("Contact import %s failed", batch_id)
        ContactImport.objects.filter(pk=batch_id).update(
            state=ContactImport.State.FAILED,
            error=_("The import failed: nothing was written."),
        )
        raise


@transaction.atomic
def import_cancel(*, batch: ContactImport, by) -> ContactImport:
    access.require(by, "contact.import", batch.unit)
    updated = ContactImport.objects.filter(
        pk=batch.pk, state=ContactImport.State.PREVIEW
    ).update(state=ContactImport.State.CANCELLED, content=None)
    if not updated:
        raise ValidationError(
            {"state": _("This import is not waiting for confirmation.")}
        )
    batch.refresh_from_db()
    return batch


# --- Export ----------------------------------------------------------------------

EXPORT_HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "postcode",
    "commune",
    "tags",
    "notes",
    "unit",
    "followed_by",
    "consent_since",
    "consent_covers",
]


def export_rows(contacts) -> Iterator[list]:
    """The CSV rows (header first) of `contacts`, with their oldest consent in force;
    reads in chunks."""
    yield EXPORT_HEADER
    consents: dict[int, Consent] = {}
    batch: list[Contact] = []

    def flush():
        ids = [c.pk for c in batch]
        consents.clear()
        for consent in Consent.objects.filter(
            contact_id__in=ids, withdrawn_at__isnull=True
        ).order_by("-given_at"):
            consents[consent.contact_id] = consent  # the oldest wins (last written)
        for contact in batch:
            consent = consents.get(contact.pk)
            yield [
                contact.first_name,
                contact.last_name,
                contact.email,
                contact.phone,
                contact.address,
                contact.postcode,
                contact.commune,
                ", ".join(contact.tag_list),
                contact.notes,
                contact.unit.name,
                contact.follower.display_name if contact.follower_id else "",
                consent.given_at.date().isoformat() if consent else "",
                " ".join(sorted(consent.covers)) if consent else "",
            ]

    for contact in contacts.iterator(chunk_size=CHUNK):
        batch.append(contact)
        if len(batch) >= CHUNK:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def export_record(
    *, by, unit: Unit | None, what: str, rows: int, filename: str
) -> None:
    """Record a vCard export (CSV ones go through csvexport, which records them)."""
    audit_record(
        actor=by,
        action="contact.export",
        target=unit if unit is not None else by,
        unit=unit,
        data={"what": what, "rows": rows, "filename": filename},
    )


def export_response(*, by, unit: Unit, fmt: str) -> HttpResponse:
    """The contacts of `unit` and below that `by` may see, as a CSV or vCard file
    (the page and the API); the export is recorded either way."""
    contacts = (
        Contact.objects.filter(access.contact_filter(by))
        .filter(unit__path__startswith=unit.path)
        .select_related("unit", "follower")
        .order_by("search_name", "pk")
    )
    if fmt == "csv":
        return csv_response(
            export_rows(contacts),
            by=by,
            what="contacts",
            target=unit,
            unit=unit,
            filename=f"contacts-{unit.slug}.csv",
            delimiter=";",
        )
    text = "".join(cards.contacts_vcards(contacts.iterator(chunk_size=1000)))
    filename = f"contacts-{unit.slug}.vcf"
    export_record(
        by=by,
        unit=unit,
        what="contacts.vcard",
        rows=text.count("BEGIN:VCARD"),
        filename=filename,
    )
    response = HttpResponse(text, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
