"""Importing contacts (CSV, vCard): preview, per-row report, bad files, large files;
export round trips."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organising.audit.models import AuditEntry
from organising.contacts import cards, imports
from organising.contacts.models import Contact, ContactImport

pytestmark = pytest.mark.django_db

CSV = (
    "Prénom;Nom;E-mail;Téléphone;Ville;Étiquettes\n"
    "Marie;Dupont;marie@example.org;06 12 34 56 78;Lyon;marché\n"
    "Jean;Martin;jean@example.org;;Lyon;\n"
    "Bad;Phone;bad@example.org;12;Lyon;\n"
    ";;;;Lyon;\n"
    "Marie;Dupont;MARIE@example.org;;;tram\n"
)


def start(unit, by, content, fmt="csv", encoding="utf-8"):
    return imports.import_create(
        unit=unit,
        by=by,
        filename="contacts.csv",
        content=content,
        format=fmt,
        consent_source="fichier du marché",
        consent_covers={"email"},
        encoding=encoding,
    )


def test_preview_then_apply_reports_each_row(tree, secretary, add_contact):
    add_contact(email="jean@example.org", first_name="Jean", last_name="")
    batch = start(tree.cell_a1x, secretary, CSV.encode())
    assert batch.state == "preview"
    assert Contact.objects.count() == 1  # nothing written by the preview
    outcomes = [(line, outcome) for line, outcome, _why in batch.report]
    assert outcomes == [
        (2, "create"),
        (3, "merge"),
        (4, "reject"),
        (5, "reject"),
        (6, "merge"),
    ]
    assert "phone" in batch.report[2][2]
    batch = imports.import_apply_start(batch=batch, by=secretary)
    assert batch.state == "done"
    assert batch.counts == {"created": 1, "merged": 2, "rejected": 2}
    marie = Contact.objects.get(email="marie@example.org")
    assert marie.tag_list == ["marché", "tram"]
    assert marie.consents.get().source == "fichier du marché"
    jean = Contact.objects.get(email="jean@example.org")
    assert jean.last_name == "Martin"  # a blank filled
    assert AuditEntry.objects.filter(action="contact.import").exists()
    with pytest.raises(ValidationError):
        imports.import_apply_start(batch=batch, by=secretary)  # applied once


def test_wrong_encoding_columns_and_spreadsheets_are_named(tree, secretary):
    with pytest.raises(ValidationError) as error:
        start(tree.cell_a1x, secretary, CSV.encode("cp1252"))
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        start(tree.cell_a1x, secretary, b"colour;size\nred;3\n")
    assert "columns" in error.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        start(tree.cell_a1x, secretary, b"PK\x03\x04rest")
    batch = start(tree.cell_a1x, secretary, CSV.encode("cp1252"), encoding="cp1252")
    assert batch.counts["create"] == 2  # Windows-1252 chosen: it reads
    assert not ContactImport.objects.exclude(pk=batch.pk).exists()


def test_a_vcard_that_does_not_parse_is_refused(tree, secretary):
    with pytest.raises(ValidationError) as error:
        start(
            tree.cell_a1x,
            secretary,
            b"BEGIN:VCARD\nVERSION:3.0\nFN\nEND:VCARD\n",
            "vcard",
        )
    assert "vCard" in error.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        start(tree.cell_a1x, secretary, b"hello", "vcard")


def test_members_do_not_import(tree, member):
    with pytest.raises(PermissionDenied):
        start(tree.cell_a1x, member, CSV.encode())


def test_vcard_export_import_round_trip(tree, secretary, add_contact):
    add_contact(
        first_name="Élodie",
        last_name="Müller",
        email="e@example.org",
        phone="0612345678",
        address="3 rue X",
        postcode="69001",
        commune="Lyon",
        tags="marché, tram",
    )
    text = "".join(cards.contacts_vcards(Contact.objects.all()))
    Contact.objects.all().delete()
    batch = start(
        tree.cell_b1x if False else tree.cell_a1x, secretary, text.encode(), "vcard"
    )
    imports.import_apply_start(batch=batch, by=secretary)
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.email, contact.phone) == (
        "Élodie",
        "Müller",
        "e@example.org",
        "+33612345678",
    )
    assert (contact.address, contact.postcode, contact.commune) == (
        "3 rue X",
        "69001",
        "Lyon",
    )
    assert contact.tag_list == ["marché", "tram"]


def test_csv_export_import_round_trip_neutralises_formulas(
    tree, secretary, add_contact
):
    add_contact(
        first_name="=HYPERLINK(1)",
        last_name="Dupont",
        email="d@example.org",
        phone="0612345678",
    )
    rows = list(imports.export_rows(Contact.objects.select_related("unit", "follower")))
    from organising.csvexport import render

    text, count = render(rows, delimiter=";")
    assert count == 2
    assert "'=HYPERLINK(1)" in text
    Contact.objects.all().delete()
    batch = start(tree.cell_a1x, secretary, text.encode("utf-8"))
    imports.import_apply_start(batch=batch, by=secretary)
    contact = Contact.objects.get()
    assert contact.phone == "+33612345678" and contact.email == "d@example.org"


def test_a_large_file_goes_to_the_background_and_is_all_or_nothing(
    tree, secretary, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(imports, "BACKGROUND_ROWS", 50)
    monkeypatch.setattr(imports, "CHUNK", 20)
    lines = ["prenom,nom,email"] + [f"P{i},N{i},p{i}@example.org" for i in range(120)]
    with django_capture_on_commit_callbacks(execute=True):
        batch = start(tree.cell_a1x, secretary, "\n".join(lines).encode())
    batch.refresh_from_db()
    assert batch.state == "preview" and batch.counts["create"] == 120
    with django_capture_on_commit_callbacks(execute=True):
        batch = imports.import_apply_start(batch=batch, by=secretary)
    batch.refresh_from_db()
    assert batch.state == "done" and Contact.objects.count() == 120
