"""Importing a bank statement or a spreadsheet (CSV): every line is matched to a
member or reported as not matched, shown to the treasurer, and recorded only when
they confirm. Each line carries an idempotency key made from its content, so a line
seen twice (the same file imported again, overlapping statements) records once."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from members.models import Membership, User
from organising.audit.services import audit_record

from ..models import (
    Import,
    ImportLine,
    ImportProgress,
    LedgerEntry,
    LedgerLine,
    Method,
    Source,
)
from ..rates import load_schedules
from .base import (
    IdempotencyConflict,
    check_amount,
    check_method,
    check_paid_on,
    check_periods,
    parse_euros,
    setting,
)
from .ledger import (
    CHUNK,
    PaymentFacts,
    balances_refresh,
    outstanding_by_period,
    payment_plan,
    payment_record,
)

ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252 (Excel, older banks)"}

# Accepted column names (lower case, without accents) for each field.
COLUMNS = {
    "date": {
        "date",
        "paid_on",
        "date de paiement",
        "date operation",
        "date d'operation",
        "date valeur",
        "date de valeur",
        "jour",
    },
    "amount": {
        "amount",
        "montant",
        "credit",
        "somme",
        "amount_eur",
        "montant (eur)",
        "montant eur",
        "credit (eur)",
    },
    "email": {"email", "e-mail", "courriel", "mail", "adresse e-mail"},
    "member": {
        "member",
        "member reference",
        "reference adherent",
        "numero adherent",
        "adherent",
        "member_ref",
    },
    "name": {
        "name",
        "nom",
        "payer",
        "payeur",
        "nom du payeur",
        "emetteur",
        "donneur d'ordre",
    },
    "label": {"label", "libelle", "description", "communication", "motif", "details"},
    "method": {"method", "mode", "moyen", "mode de paiement", "moyen de paiement"},
    "periods": {"periods", "periodes", "period", "periode", "mois"},
    "reference": {
        "reference",
        "ref",
        "transaction",
        "reference operation",
        "id",
        "numero",
    },
    "note": {"note", "commentaire", "remarque"},
}
METHODS = {
    "cash": Method.CASH,
    "especes": Method.CASH,
    "espece": Method.CASH,
    "cheque": Method.CHEQUE,
    "chq": Method.CHEQUE,
    "check": Method.CHEQUE,
    "transfer": Method.TRANSFER,
    "virement": Method.TRANSFER,
    "vir": Method.TRANSFER,
    "direct_debit": Method.DIRECT_DEBIT,
    "prelevement": Method.DIRECT_DEBIT,
    "card": Method.CARD,
    "carte": Method.CARD,
    "cb": Method.CARD,
}
MEMBER_REF = re.compile(r"\bMLG-?(\d{1,12})\b", re.IGNORECASE)


def member_reference(user) -> str:
    """The reference a member writes on a transfer so that imports find them."""
    return f"MLG{user.pk}"


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


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
        raise ValidationError({"file": _("This does not look like a CSV text file.")})
    return text


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        plain = _plain(name)
        for field, names in COLUMNS.items():
            if plain in names and field not in found:
                found[field] = index
    return found


def _parse_date(text: str) -> date:
    text = (text or "").strip()
    for layout in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    raise ValidationError(
        {
            "date": _("%(v)s is not a date (write 2025-03-31 or 31/03/2025).")
            % {"v": text}
        }
    )


def _line_key(
    member_id: int, paid_on: date, amount: int, reference: str, occurrence: int
) -> str:
    digest = hashlib.sha256(
        f"{member_id}|{paid_on.isoformat()}|{amount}|{_plain(reference)}|{occurrence}".encode()
    ).hexdigest()
    return f"import:{digest[:64]}"


class _Matcher:
    """Finds the member a line is about, among the current members of the unit."""

    def __init__(self, unit: Unit, emails: set[str], refs: set[int], need_names: bool):
        scope = Membership.objects.current().filter(unit__path__startswith=unit.path)
        self.by_email = (
            dict(
                scope.filter(user__email__in=emails).values_list(
                    "user__email", "user_id"
                )
            )
            if emails
            else {}
        )
        self.by_ref = (
            set(scope.filter(user_id__in=refs).values_list("user_id", flat=True))
            if refs
            else set()
        )
        self.by_name: dict[str, list[int]] = defaultdict(list)
        if need_names:
            for user_id, name in scope.values_list("user_id", "user__display_name"):
                self.by_name[_plain(name)].append(user_id)

    def match(
        self, *, email: str, texts: list[str], name: str
    ) -> tuple[int | None, str]:
        if email:
            user_id = self.by_email.get(email.strip().lower())
            if user_id:
                return user_id, ""
        for text in texts:
            for found in MEMBER_REF.findall(text or ""):
                if int(found) in self.by_ref:
                    return int(found), ""
        if name:
            candidates = self.by_name.get(_plain(name), [])
            if len(candidates) == 1:
                return candidates[0], ""
            if len(candidates) > 1:
                return None, _("Several members have this name: add their e-mail.")
        return None, _("No member of the unit matches this line.")


@transaction.atomic
def import_create(
    *, unit: Unit, by, filename: str, content: bytes, encoding: str = "utf-8"
) -> Import:
    """Read a CSV file and prepare its preview: each line matched, invalid or already
    recorded. Nothing is recorded until `import_confirm`. A large file (over
    DUES_IMPORT_BACKGROUND_LINES lines) is previewed by a background job: the
    import comes back queued, its page follows the job's progress."""
    access.require(by, "dues.manage", unit)
    header, columns, rows = _read_csv(content, encoding)
    batch = Import.objects.create(
        unit=unit,
        filename=(filename or "import.csv")[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=by,
        encoding=encoding,
    )
    if len(rows) > setting("DUES_IMPORT_BACKGROUND_LINES", 2000):
        batch.content = content
        batch.job_state = Import.Job.QUEUED
        batch.job_kind = "preview"
        batch.job_total = len(rows)
        batch.job_by = by
        batch.save()
        _enqueue("import_preview_task", batch.pk)
        return batch
    _fill_preview(batch, header, columns, rows, by)
    return batch


def _enqueue(task_name: str, batch_id: int) -> None:
    from .. import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(batch_id))


def _read_csv(content: bytes, encoding: str) -> tuple[list[str], dict, list[list]]:
    """The header, the columns found in it and the non-empty rows, or a
    ValidationError naming `file`."""
    if len(content) > setting("DUES_IMPORT_MAX_BYTES", 5 * 1024 * 1024):
        raise ValidationError({"file": _("The file is too large (5 MB at most).")})
    text = _decode(content, encoding)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError({"file": _("The file is empty.")}) from None
    columns = _columns(header)
    missing = [name for name in ("date", "amount") if name not in columns]
    if missing or not ({"email", "member", "name", "label"} & set(columns)):
        raise ValidationError(
            {
                "file": _(
                    "The columns are not the expected ones. Needed: a date, an amount, "
                    "and the member's e-mail, reference or name. Found: %(found)s."
                )
                % {"found": ", ".join(h.strip() for h in header if h.strip()) or "—"}
            }
        )
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ValidationError(
            {"file": _("The CSV file is malformed: %(e)s") % {"e": error}}
        ) from None
    limit = setting("DUES_IMPORT_MAX_LINES", 20_000)
    if len(rows) > limit:
        raise ValidationError(
            {"file": _("Too many lines (%(n)s at most).") % {"n": limit}}
        )
    if not rows:
        raise ValidationError({"file": _("The file has no line under its header.")})
    return header, columns, rows


def _fill_preview(batch: Import, header, columns, rows, by, progress=None) -> None:
    """Match and check every row, then write the lines (in one transaction). Reads
    only until then, so that a background job's `progress(n)` is seen while it
    runs."""
    unit = batch.unit

    def cell(row: list[str], field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    emails = {cell(r, "email").lower() for r in rows if cell(r, "email")}
    refs = {
        int(found)
        for r in rows
        for text in (cell(r, "member"), cell(r, "label"), cell(r, "reference"))
        for found in MEMBER_REF.findall(text)
    }
    need_names = "name" in columns
    matcher = _Matcher(unit, emails, refs, need_names)
    schedules = load_schedules()
    lines: list[ImportLine] = []
    first_seen: dict[tuple, int] = {}
    for number, row in enumerate(rows, start=2):
        if progress is not None and number % CHUNK == 0:
            progress(number - 2)
        raw = {
            header[i].strip() or f"col{i + 1}": value
            for i, value in enumerate(row)
            if i < len(header)
        }
        line = ImportLine(
            batch=batch, line_number=number, raw=raw, status=ImportLine.Status.INVALID
        )
        lines.append(line)
        try:
            line.paid_on = check_paid_on(_parse_date(cell(row, "date")))
            amount = parse_euros(cell(row, "amount"))
            if amount <= 0:
                raise ValidationError(
                    _("Not a payment received (zero or negative amount).")
                )
            line.amount_cents = check_amount(amount)
            method_text = _plain(cell(row, "method"))
            line.method = METHODS.get(
                method_text, Method.TRANSFER if not method_text else ""
            )
            check_method(line.method, "-")
            periods_text = cell(row, "periods")
            if periods_text:
                keys = [k for k in re.split(r"[\s,|/+]+", periods_text) if k]
                line.periods = [d.isoformat() for d in check_periods(keys, schedules)]
        except ValidationError as error:
            line.message = "; ".join(error.messages)[:300]
            continue
        line.reference = (cell(row, "reference") or cell(row, "label"))[:140]
        member_id, why = matcher.match(
            email=cell(row, "email"),
            texts=[cell(row, "member"), cell(row, "label"), cell(row, "reference")],
            name=cell(row, "name"),
        )
        if member_id is None:
            line.status = ImportLine.Status.UNMATCHED
            line.message = why
            continue
        line.member_id = member_id
        identity = (member_id, line.paid_on, line.amount_cents, _plain(line.reference))
        line.idempotency_key = _line_key(
            member_id, line.paid_on, line.amount_cents, line.reference, 1
        )
        if identity in first_seen:
            # The same payment twice in one file is far likelier a copy than two
            # payments: shown, not recorded (a second real one is recorded by hand).
            line.status = ImportLine.Status.DUPLICATE
            line.message = str(
                _("Identical to line %(n)s of this file: not recorded twice.")
                % {"n": first_seen[identity]}
            )
            continue
        first_seen[identity] = number
        line.status = ImportLine.Status.MATCHED
    _check_against_ledger(lines, schedules)
    _mark_duplicates(lines)
    with transaction.atomic():
        ImportLine.objects.filter(batch=batch).delete()  # a job run again
        ImportLine.objects.bulk_create(lines, batch_size=CHUNK)
        batch.counts = _counts(lines)
        batch.save(update_fields=["counts"])
        audit_record(
            actor=by,
            action="dues.import_create",
            target=batch,
            unit=unit,
            data={"filename": batch.filename, **batch.counts},
        )


class JobProgress:
    """Writes a background job's progress (`job_progress`) where the import's page
    and the API read it while the job's own transaction is still open: on a
    database connection of its own, in autocommit (a confirmation records every
    line or none, in one transaction). SQLite lets one connection write at a time,
    so there (the embedded mode, where jobs run inline) the progress is written
    with the job's result only; so it is, too, when the job runs inside a
    transaction of its caller's (which no other connection could see)."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.connection = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        self(0)

    def __call__(self, done: int) -> None:
        if self.connection is None:
            ImportProgress.objects.update_or_create(
                batch_id=self.batch_id, defaults={"done": done}
            )
            return
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ImportProgress._meta.db_table} (batch_id, done) "  # noqa: S608
                "VALUES (%s, %s) ON CONFLICT (batch_id) DO UPDATE SET done = %s",
                [self.batch_id, done, done],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _claim(batch_id: int, kind: str) -> Import | None:
    """The import if this run takes its queued job (a second worker, or the same
    task delivered twice, finds it taken and does nothing)."""
    taken = Import.objects.filter(
        pk=batch_id, job_state=Import.Job.QUEUED, job_kind=kind
    ).update(job_state=Import.Job.RUNNING, job_progress=0)
    if not taken:
        return None
    return Import.objects.select_related("unit", "job_by").get(pk=batch_id)


def _finish(batch_id: int, *, error: str = "", **fields) -> None:
    Import.objects.filter(pk=batch_id).update(
        job_state=Import.Job.FAILED if error else Import.Job.DONE,
        job_error=error[:300],
        **fields,
    )


def import_preview_run(*, batch_id: int) -> None:
    """The background job of a large file's preview (run by a Celery worker)."""
    batch = _claim(batch_id, "preview")
    if batch is None:
        return

    def progress(done: int) -> None:
        Import.objects.filter(pk=batch_id).update(job_progress=done)

    try:
        header, columns, rows = _read_csv(bytes(batch.content), batch.encoding)
        _fill_preview(batch, header, columns, rows, batch.job_by, progress)
    except ValidationError as error:
        _finish(batch_id, error=" ".join(error.messages))
        return
    _finish(batch_id, job_progress=len(rows), content=None)


def import_confirm_start(*, batch: Import, by) -> Import:
    """Confirm now, or for a large import (over DUES_IMPORT_BACKGROUND_LINES ready
    lines) queue the confirmation as a background job."""
    access.require(by, "dues.manage", batch.unit)
    ready = batch.lines.filter(status=ImportLine.Status.MATCHED).count()
    if ready <= setting("DUES_IMPORT_BACKGROUND_LINES", 2000):
        return import_confirm(batch=batch, by=by)
    with transaction.atomic():
        queued = (
            Import.objects.filter(pk=batch.pk, state=Import.State.PREVIEW)
            .exclude(job_state__in=[Import.Job.QUEUED, Import.Job.RUNNING])
            .update(
                job_state=Import.Job.QUEUED,
                job_kind="confirm",
                job_by=by,
                job_total=ready,
                job_progress=0,
                job_error="",
            )
        )
        if queued:
            _enqueue("import_confirm_task", batch.pk)
    batch.refresh_from_db()
    return batch


def import_confirm_run(*, batch_id: int) -> None:
    """The background job of a large import's confirmation: all lines or none (one
    transaction), then done, or failed with the error naming the line."""
    batch = _claim(batch_id, "confirm")
    if batch is None:
        return
    progress = JobProgress(batch_id)
    try:
        confirmed = import_confirm(batch=batch, by=batch.job_by, progress=progress)
    except (ValidationError, PermissionDenied) as error:
        _finish(batch_id, error=" ".join(getattr(error, "messages", [str(error)])))
        return
    finally:
        progress.close()
    _finish(batch_id, job_progress=confirmed.counts.get("ready_then", 0))


def _check_against_ledger(lines: list[ImportLine], schedules) -> None:
    """The rules a recorded payment follows (dates, closed years, the yearly
    ceiling), checked at the preview so that confirming does not stumble on them."""
    matched = [line for line in lines if line.status == ImportLine.Status.MATCHED]
    facts = PaymentFacts.load({line.member_id for line in matched})
    for line in matched:
        try:
            facts.check(
                member_id=line.member_id,
                paid_on=line.paid_on,
                amount_cents=line.amount_cents,
                schedules=schedules,
            )
        except ValidationError as error:
            line.status = ImportLine.Status.INVALID
            line.message = "; ".join(error.messages)[:300]
            continue
        facts.add(
            member_id=line.member_id,
            paid_on=line.paid_on,
            amount_cents=line.amount_cents,
        )


def _mark_duplicates(lines: list[ImportLine]) -> None:
    keys = [
        line.idempotency_key
        for line in lines
        if line.status == ImportLine.Status.MATCHED
    ]
    recorded: set[str] = set()
    for index in range(0, len(keys), CHUNK):
        recorded.update(
            LedgerEntry.objects.filter(
                idempotency_key__in=keys[index : index + CHUNK]
            ).values_list("idempotency_key", flat=True)
        )
    for line in lines:
        if (
            line.status == ImportLine.Status.MATCHED
            and line.idempotency_key in recorded
        ):
            line.status = ImportLine.Status.DUPLICATE
            line.message = str(_("Already recorded (this line was imported before)."))


def _stored_counts(batch: Import) -> dict:
    """The counts of an import's lines, by status, from the database (one query)."""
    rows = batch.lines.values("status").annotate(
        n=Count("pk"), cents=Sum("amount_cents", default=0)
    )
    by_status = {row["status"]: row for row in rows}
    return {
        "total": sum(row["n"] for row in rows),
        **{s: by_status.get(s, {}).get("n", 0) for s in ImportLine.Status.values},
        "matched_cents": by_status.get(ImportLine.Status.MATCHED, {}).get("cents", 0),
    }


def _counts(lines) -> dict:
    counts = Counter(line.status for line in lines)
    return {
        "total": len(lines),
        **{status: counts.get(status, 0) for status in ImportLine.Status.values},
        "matched_cents": sum(
            line.amount_cents or 0
            for line in lines
            if line.status == ImportLine.Status.MATCHED
        ),
    }


@transaction.atomic
def import_confirm(*, batch: Import, by, progress=None) -> Import:
    """Record every ready line of the import, each once. Confirming twice, or two
    treasurers at once, records nothing more: the import row is locked and every
    line's key is unique in the ledger. `progress(n)`, if given, is told how many
    of the ready lines were handled, chunk by chunk (a background job's page)."""
    access.require(by, "dues.manage", batch.unit)
    # FOR NO KEY UPDATE: a second confirmation or a cancellation waits, but the
    # job's progress (a row referring to this one) can be written meanwhile.
    batch = (
        Import.objects.select_for_update(no_key=True)
        .select_related("unit")
        .get(pk=batch.pk)
    )
    if batch.state == Import.State.CONFIRMED:
        return batch
    if batch.state != Import.State.PREVIEW:
        raise ValidationError(_("This import was cancelled."))
    lines = list(
        batch.lines.filter(status=ImportLine.Status.MATCHED).order_by("line_number")
    )
    _mark_duplicates(lines)
    # A member may have left the unit since the preview.
    homes = dict(
        Membership.objects.current()
        .filter(
            user_id__in={line.member_id for line in lines},
            unit__path__startswith=batch.unit.path,
        )
        .values_list("user_id", "unit_id")
    )
    ready = []
    for line in lines:
        if line.status != ImportLine.Status.MATCHED:
            continue
        if line.member_id not in homes:
            line.status = ImportLine.Status.UNMATCHED
            line.message = str(_("This member is no longer in the unit."))
            continue
        ready.append(line)
    recorded = 0
    skipped = len(lines) - len(ready)  # already recorded, or left the unit
    report = (lambda n: progress(skipped + n)) if progress else (lambda n: None)
    try:
        with transaction.atomic():
            recorded = _record_lines_bulk(ready, homes, by, report)
    except IntegrityError:
        # Another import recorded some of the same lines meanwhile: record them one
        # by one, each idempotent, and let the repeated ones answer "already done".
        recorded = _record_lines_one_by_one(ready, by, report)
    now_done = {line.pk for line in ready if line.status == ImportLine.Status.RECORDED}
    for status in (
        ImportLine.Status.RECORDED,
        ImportLine.Status.DUPLICATE,
        ImportLine.Status.UNMATCHED,
    ):
        changed = [line for line in lines if line.status == status]
        for index in range(0, len(changed), CHUNK):
            chunk = changed[index : index + CHUNK]
            ImportLine.objects.filter(pk__in=[line.pk for line in chunk]).update(
                status=status
            )
            if status != ImportLine.Status.RECORDED:
                for line in chunk:
                    ImportLine.objects.filter(pk=line.pk).update(message=line.message)
    batch.counts = {
        **_stored_counts(batch),
        "recorded_now": recorded,
        "ready_then": len(lines),
    }
    batch.state = Import.State.CONFIRMED
    batch.confirmed_at = timezone.now()
    batch.save(update_fields=["counts", "state", "confirmed_at"])
    audit_record(
        actor=by,
        action="dues.import_confirm",
        target=batch,
        unit=batch.unit,
        data={"recorded": recorded, "lines": len(now_done)},
    )
    return batch


def _record_lines_bulk(
    lines: list[ImportLine], homes: dict[int, int], by, progress
) -> int:
    """Plan every line first (a line the ledger refuses stops the import before
    anything is written), then write them chunk by chunk, telling `progress`."""
    if not lines:
        return 0
    schedules = load_schedules()
    outstanding = outstanding_by_period(
        {line.member_id for line in lines if not line.periods}
    )
    plans = []
    facts = PaymentFacts.load({line.member_id for line in lines})
    for line in lines:
        member = User(pk=line.member_id)
        membership = Membership(user_id=line.member_id, unit_id=homes[line.member_id])
        try:
            plans.append(
                _line_plan(line, member, membership, schedules, outstanding, facts)
            )
        except ValidationError as error:
            raise ValidationError(
                _("Line %(n)s: %(error)s")
                % {"n": line.line_number, "error": " ".join(error.messages)}
            ) from None
    for start in range(0, len(plans), CHUNK):
        chunk = plans[start : start + CHUNK]
        entries = [plan.entry(by) for plan in chunk]
        LedgerEntry.objects.bulk_create(entries)
        LedgerLine.objects.bulk_create(
            [
                ledger_line
                for plan, entry in zip(chunk, entries, strict=True)
                for ledger_line in plan.lines(entry)
            ],
            batch_size=CHUNK,
        )
        progress(start + len(chunk))
    balances_refresh({plan.member_id for plan in plans})
    for line in lines:
        line.status = ImportLine.Status.RECORDED
    return len(plans)


def _line_plan(line, member, membership, schedules, outstanding, facts):
    return payment_plan(
        member=member,
        membership=membership,
        amount_cents=line.amount_cents,
        paid_on=line.paid_on,
        method=line.method,
        idempotency_key=line.idempotency_key,
        periods=[date.fromisoformat(p) for p in line.periods] or None,
        reference=line.reference,
        note=_("Imported line %(n)s") % {"n": line.line_number},
        source=Source.IMPORT,
        schedules=schedules,
        outstanding=outstanding.setdefault(line.member_id, []),
        facts=facts,
    )


def _record_lines_one_by_one(lines: list[ImportLine], by, progress) -> int:
    recorded = 0
    for index, line in enumerate(lines, start=1):
        if index % CHUNK == 0:
            progress(index)
        try:
            result = _record_line(line, by)
        except IdempotencyConflict:
            # Recorded by someone who may keep this member's dues where the member
            # was then: the same line, already in the ledger.
            result = None
        if result is not None and result.created:
            line.status = ImportLine.Status.RECORDED
            recorded += 1
        else:
            line.status = ImportLine.Status.DUPLICATE
            line.message = str(_("Already recorded (this line was imported before)."))
    return recorded


def _record_line(line: ImportLine, by):
    return payment_record(
        member=User.objects.get(pk=line.member_id),
        amount_cents=line.amount_cents,
        paid_on=line.paid_on,
        method=line.method,
        by=by,
        idempotency_key=line.idempotency_key,
        internal_key=True,
        periods=[date.fromisoformat(p) for p in line.periods] or None,
        reference=line.reference,
        note=_("Imported line %(n)s") % {"n": line.line_number},
        source=Source.IMPORT,
    )


@transaction.atomic
def import_cancel(*, batch: Import, by) -> Import:
    access.require(by, "dues.manage", batch.unit)
    batch = Import.objects.select_for_update().get(pk=batch.pk)
    if batch.state == Import.State.PREVIEW:
        batch.state = Import.State.CANCELLED
        batch.save(update_fields=["state"])
        audit_record(
            actor=by, action="dues.import_cancel", target=batch, unit=batch.unit
        )
    return batch
