"""Every CSV file the site hands out goes through here.

Three things each export needs and none should forget:
- cells a spreadsheet would read as a formula (`=HYPERLINK(…)`, `+cmd|…`,
  `@SUM(…)`, a leading tab or carriage return) are neutralised with a leading
  apostrophe, which spreadsheets show as text; plain numbers (`-75.00`, `-75,00`)
  and phone numbers (`+33 6 12 34 56 78`) are left as they are, readable;
- the file starts with a UTF-8 byte order mark, so spreadsheet programs show
  accents instead of guessing a legacy encoding;
- the export is recorded in the audit trail: who, what, how many rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.http import HttpResponse

from organising.audit.services import audit_record

BOM = "\ufeff"

# The characters with which a spreadsheet starts a formula (or a DDE command), and
# their full-width forms, which some spreadsheets fold to them.
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_SPACES = " \u00a0\u202f"
# -75.00, -75,00, +3, -1 234,50 (French thousands separator), 1e3 is not allowed.
_NUMBER = re.compile(
    r"[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?|[+-]?\d+(?:[.,]\d+)?"
)
# +33 6 12 34 56 78, +33 (0)6 12 34 56 78, +1-555-123-4567, +33612345678.
_PHONE = re.compile(r"\+\d{1,4}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4}))+")


def neutralise(value: Any) -> str:
    """The cell as text a spreadsheet shows verbatim and never evaluates."""
    if value is None:
        return ""
    text = str(value)
    stripped = text.lstrip(_SPACES)
    if not stripped or stripped[0] not in _FORMULA_START:
        return text
    if _NUMBER.fullmatch(stripped) or _PHONE.fullmatch(stripped):
        return text
    return "'" + text


class Writer:
    """A `csv.writer` lookalike whose every cell is neutralised; `rows` counts the
    rows written (empty separator rows excluded)."""

    def __init__(self, file, **csv_options: Any) -> None:
        self._writer = csv.writer(file, **csv_options)
        self.rows = 0

    def writerow(self, row: Iterable[Any]) -> None:
        cells = [neutralise(cell) for cell in row]
        self.rows += bool(cells)
        self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file, **csv_options: Any) -> Writer:
    """Like `csv.writer(file, ...)`, with every cell neutralised."""
    return Writer(file, **csv_options)


def render(rows: Iterable[Iterable[Any]], **csv_options: Any) -> tuple[str, int]:
    """The CSV text of `rows` (BOM first, cells neutralised) and its row count."""
    buffer = io.StringIO()
    out = Writer(buffer, **csv_options)
    out.writerows(rows)
    return BOM + buffer.getvalue(), out.rows


@transaction.atomic
def csv_export_record(
    *,
    by,
    what: str,
    target: models.Model,
    rows: int,
    filename: str,
    unit=None,
) -> None:
    """Record that `by` downloaded `what` (a short name: "members", "dues.report")
    about `target` as a CSV file of `rows` rows (header rows included)."""
    audit_record(
        actor=by,
        action="csv.export",
        target=target,
        unit=unit,
        data={"what": what, "rows": rows, "filename": filename},
    )


def csv_response(
    content: str | Iterable[Sequence[Any]],
    *,
    by,
    what: str,
    target: models.Model,
    filename: str,
    unit=None,
    **csv_options: Any,
) -> HttpResponse:
    """The download of a CSV export, recorded in the audit trail.

    `content` is either the rows (each a sequence of cells; they are neutralised
    here) or text already written with `csvexport.writer` (neutralised there).
    """
    if isinstance(content, str):
        text = content if content.startswith(BOM) else BOM + content
        # Counting rows needs only the quoting, not the delimiter.
        rows = sum(1 for row in csv.reader(io.StringIO(text[1:])) if row)
    else:
        text, rows = render(content, **csv_options)
    csv_export_record(
        by=by, what=what, target=target, rows=rows, filename=filename, unit=unit
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
