"""The contacts pages and the member directory, as a member and an officer see them."""

import pytest
from django.urls import reverse

from members.models import User
from organising.audit.models import AuditEntry
from organising.contacts.models import Contact, ContactShare

pytestmark = pytest.mark.django_db


def test_a_member_adds_a_contact_and_finds_it(tree, member, client_as):
    client = client_as(member)
    page = client.get(reverse("contacts:create"))
    assert page.status_code == 200
    response = client.post(
        reverse("contacts:create"),
        {
            "unit": tree.cell_a1x.slug,
            "first_name": "Élodie",
            "last_name": "Martin",
            "phone": "06 12 34 56 78",
            "commune": "Lyon",
            "tags": "marché",
            "consent_source": "Marché de la Croix-Rousse",
            "consent_covers": ["phone"],
        },
    )
    contact = Contact.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == contact.get_absolute_url()
    )
    detail = client.get(contact.get_absolute_url()).content.decode()
    assert "Élodie Martin" in detail and "06 12 34 56 78" in detail
    assert "Marché de la Croix-Rousse" in detail
    found = client.get(reverse("contacts:list"), {"q": "elodie"}).content.decode()
    assert "Élodie Martin" in found
    fragment = client.get(
        reverse("contacts:list"),
        {"q": "mart", "fragment": "rows"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Élodie Martin" in fragment and "<h1>" not in fragment
    assert (
        "Élodie"
        not in client.get(reverse("contacts:list"), {"tag": "tram"}).content.decode()
    )
    assert AuditEntry.objects.filter(action="contact.bulk_read").exists()


def test_a_bad_phone_is_a_form_error(tree, member, client_as):
    response = client_as(member).post(
        reverse("contacts:create"),
        {
            "unit": tree.cell_a1x.slug,
            "last_name": "X",
            "phone": "123",
            "consent_source": "x",
        },
    )
    assert response.status_code == 200
    assert "valid phone number" in response.content.decode()
    assert not Contact.objects.exists()


def test_another_units_contact_is_404_everywhere(
    tree, make_member, add_contact, client_as
):
    contact = add_contact()
    outsider = client_as(make_member(tree.cell_b1x))
    for name in ("contacts:detail", "contacts:edit", "contacts:vcard"):
        assert outsider.get(reverse(name, args=[contact.public_id])).status_code == 404
    for name in (
        "contacts:share",
        "contacts:erase",
        "contacts:reassign",
        "contacts:interact",
    ):
        assert outsider.post(reverse(name, args=[contact.public_id])).status_code == 404
    assert (
        outsider.post(
            reverse("contacts:merge"),
            {"keep": contact.public_id, "other": contact.public_id},
        ).status_code
        == 404
    )
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_sharing_from_the_page(tree, member, make_member, add_contact, client_as):
    contact = add_contact()
    colleague = make_member(tree.cell_a1x)
    client = client_as(member)
    page = client.get(contact.get_absolute_url()).content.decode()
    assert colleague.display_name in page
    client.post(
        reverse("contacts:share", args=[contact.public_id]),
        {"member": colleague.public_id},
    )
    assert ContactShare.objects.filter(contact=contact, member=colleague).exists()
    assert client_as(colleague).get(contact.get_absolute_url()).status_code == 200


def test_list_queries_are_bounded(
    tree, secretary, add_contact, client_as, django_assert_max_num_queries
):
    for i in range(30):
        add_contact(by=secretary, last_name=f"Nom{i}", tags="marché")
    client = client_as(secretary)
    client.get(reverse("contacts:list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("contacts:list"))
    assert response.content.decode().count('class="tag"') >= 30


def test_export_csv_and_vcard_are_recorded(tree, secretary, add_contact, client_as):
    add_contact(by=secretary, first_name="=cmd", email="x@example.org")
    client = client_as(secretary)
    response = client.get(reverse("contacts:export_csv"), {"unit": tree.cell_a1x.slug})
    text = response.content.decode()
    assert text.startswith("\ufeff") and "'=cmd" in text
    vcard = client.get(reverse("contacts:export_vcard"), {"unit": tree.cell_a1x.slug})
    assert vcard.content.decode().count("BEGIN:VCARD") == 1
    assert AuditEntry.objects.filter(action="csv.export").exists()
    assert AuditEntry.objects.get(action="contact.export").data["rows"] == 1


def test_members_do_not_export_or_import(tree, member, client_as):
    client = client_as(member)
    assert (
        client.get(
            reverse("contacts:export_csv"), {"unit": tree.cell_a1x.slug}
        ).status_code
        == 404
    )
    assert client.get(reverse("contacts:import_start")).status_code == 404


def test_import_preview_then_apply_from_the_page(tree, secretary, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(secretary)
    upload = SimpleUploadedFile("c.csv", b"nom;email\nDupont;d@example.org\n;bad\n")
    response = client.post(
        reverse("contacts:import_start"),
        {
            "unit": tree.cell_a1x.slug,
            "file": upload,
            "format": "csv",
            "encoding": "utf-8",
            "consent_source": "fichier",
            "consent_at": "2026-11-01",
            "consent_covers": ["email"],
        },
    )
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "1 to create, 0 to merge, 1 rejected." in preview
    assert not Contact.objects.exists()
    client.post(response["Location"], {"action": "apply"})
    assert Contact.objects.get().email == "d@example.org"


def test_directory_shows_only_what_each_member_shows(
    tree, member, make_member, client_as
):
    shy = make_member(
        tree.cell_a1x, commune="Lyon", phone="0611111111", display_name="Shy Person"
    )
    open_member = make_member(
        tree.cell_a1y,
        commune="Villeurbanne",
        phone="0622222222",
        display_name="Open Person",
        shared_fields=["commune", "phone"],
    )
    make_member(tree.cell_b1x, display_name="Far Away")
    client = client_as(member)
    cell = client.get(reverse("contacts:directory")).content.decode()
    assert "Shy Person" in cell and "0611111111" not in cell and "Lyon" not in cell
    assert "Open Person" not in cell  # another cell
    section = client.get(
        reverse("contacts:directory"), {"scope": f"unit:{tree.section_a1.slug}"}
    ).content.decode()
    assert (
        "Open Person" in section
        and "0622222222" in section
        and "Far Away" not in section
    )
    by_commune = client.get(
        reverse("contacts:directory"),
        {"scope": f"unit:{tree.section_a1.slug}", "q": "lyon"},
    ).content.decode()
    assert "Shy Person" not in by_commune  # its commune is not shown: not searchable
    by_commune = client.get(
        reverse("contacts:directory"),
        {"scope": f"unit:{tree.section_a1.slug}", "q": "villeur"},
    ).content.decode()
    assert "Open Person" in by_commune
    card = client.get(
        reverse("contacts:member_vcard", args=[shy.public_id])
    ).content.decode()
    assert "Shy Person" in card and "0611111111" not in card
    card = client.get(
        reverse("contacts:member_vcard", args=[open_member.public_id])
    ).content.decode()
    assert "0622222222" in card


def test_a_sympathiser_has_no_contacts_nor_unit_directory(tree, make_member, client_as):
    client = client_as(make_member(tree.cell_a1x, status="sympathiser"))
    assert client.get(reverse("contacts:list")).status_code == 404
    assert client.get(reverse("contacts:directory")).status_code == 404
    other = User.objects.exclude(pk__isnull=True).first()
    assert (
        client.get(reverse("contacts:member_vcard", args=[other.public_id])).status_code
        == 404
    )
