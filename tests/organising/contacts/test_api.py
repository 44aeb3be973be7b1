"""The contacts and directory API: what a client sees, 400 naming the field, 404
for another unit's ids, bounded queries."""

import io

import pytest

from organising.contacts.models import Contact, ContactShare

pytestmark = pytest.mark.django_db


def test_create_list_detail_patch_and_erase(tree, member, secretary, api_as):
    api = api_as(member)
    response = api.post(
        "/api/v1/contacts/",
        {
            "unit": tree.cell_a1x.slug,
            "first_name": "Marie",
            "last_name": "Dupont",
            "phone": "06 12 34 56 78",
            "tags": ["marché"],
            "consent_source": "marché",
            "consent_covers": ["phone"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+33612345678"
    assert body["consents"][0]["covers"] == ["phone"]
    assert body["follower"]["id"] == str(member.public_id)
    listed = api.get("/api/v1/contacts/", {"q": "dupo"}).json()
    assert [c["id"] for c in listed["results"]] == [body["id"]] and listed[
        "next"
    ] is None
    patched = api.patch(
        f"/api/v1/contacts/{body['id']}/", {"commune": "Lyon"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["commune"] == "Lyon"
    assert api.delete(f"/api/v1/contacts/{body['id']}/").status_code == 403
    assert (
        api_as(secretary).delete(f"/api/v1/contacts/{body['id']}/").status_code == 204
    )
    assert not Contact.objects.exists()


def test_bad_input_is_400_naming_the_field(tree, member, api_as):
    api = api_as(member)
    base = {
        "unit": tree.cell_a1x.slug,
        "last_name": "X",
        "consent_source": "m",
        "consent_covers": [],
    }
    for field, value in [
        ("phone", "12"),
        ("email", "nope"),
        ("consent_covers", ["post"]),
        ("unit", "nowhere"),
    ]:
        response = api.post("/api/v1/contacts/", {**base, field: value}, format="json")
        assert response.status_code == 400 and field in response.json(), (
            field,
            response.content,
        )
    response = api.post("/api/v1/contacts/", {**base, "last_name": 3}, format="json")
    assert response.status_code == 400 and "last_name" in response.json()
    assert not Contact.objects.exists()


def test_another_units_contact_is_404(tree, make_member, add_contact, api_as):
    contact = add_contact()
    api = api_as(make_member(tree.cell_b1x))
    base = f"/api/v1/contacts/{contact.public_id}/"
    assert api.get(base).status_code == 404
    assert api.patch(base, {"commune": "x"}, format="json").status_code == 404
    assert api.get(base + "interactions/").status_code == 404
    assert api.post(base + "share/", {"member": None}, format="json").status_code == 404
    assert (
        api.post(
            "/api/v1/contacts/merge/",
            {"keep": str(contact.public_id), "other": str(contact.public_id)},
            format="json",
        ).status_code
        == 404
    )
    assert api.get("/api/v1/contacts/").json()["results"] == []


def test_interactions_share_and_reassign(
    tree, member, secretary, make_member, add_contact, api_as
):
    contact = add_contact()
    colleague = make_member(tree.cell_a1x)
    api = api_as(member)
    base = f"/api/v1/contacts/{contact.public_id}/"
    made = api.post(
        base + "interactions/", {"kind": "called", "note": "OK"}, format="json"
    )
    assert made.status_code == 201 and made.json()["kind"] == "called"
    assert api.post(
        base + "interactions/", {"kind": "nope"}, format="json"
    ).json().keys() == {"kind"}
    assert [i["kind"] for i in api.get(base + "interactions/").json()] == [
        "called",
        "met",
    ]
    shared = api.post(
        base + "share/", {"member": str(colleague.public_id)}, format="json"
    )
    assert shared.status_code == 200 and shared.json()["shared_with"] == [
        str(colleague.public_id)
    ]
    assert ContactShare.objects.filter(member=colleague).exists()
    assert (
        api.post(
            base + "reassign/", {"member": str(colleague.public_id)}, format="json"
        ).status_code
        == 403
    )
    moved = api_as(secretary).post(
        base + "reassign/", {"member": str(colleague.public_id)}, format="json"
    )
    assert moved.json()["follower"]["id"] == str(colleague.public_id)


def test_merge_duplicates_import_and_export(tree, secretary, add_contact, api_as):
    a = add_contact(by=secretary, phone="0612345678")
    b = add_contact(by=secretary, last_name="Dupond", phone="06 12 34 56 78")
    api = api_as(secretary)
    pairs = api.get("/api/v1/contacts/duplicates/", {"unit": tree.cell_a1x.slug}).json()
    assert pairs[0]["reason"] == "phone"
    merged = api.post(
        "/api/v1/contacts/merge/",
        {"keep": str(a.public_id), "other": str(b.public_id)},
        format="json",
    )
    assert merged.status_code == 200 and Contact.objects.count() == 1
    upload = io.BytesIO(b"nom;email\nMartin;m@example.org\n")
    upload.name = "c.csv"
    created = api.post(
        "/api/v1/contacts/imports/",
        {
            "unit": tree.cell_a1x.slug,
            "file": upload,
            "format": "csv",
            "consent_source": "fichier",
            "consent_covers": ["email"],
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    batch = created.json()
    assert batch["state"] == "preview" and batch["report"] == [
        {"line": 2, "outcome": "create", "reason": ""}
    ]
    applied = api.post(f"/api/v1/contacts/imports/{batch['id']}/apply/")
    assert applied.json()["counts"] == {"created": 1, "merged": 0, "rejected": 0}
    export = api.get("/api/v1/contacts/export/", {"unit": tree.cell_a1x.slug})
    assert export["Content-Type"].startswith("text/csv")
    assert "m@example.org" in export.content.decode()
    # ?format= names the file, not one of DRF's renderers (which answered 404).
    for fmt, media in (("csv", "text/csv"), ("vcard", "text/vcard")):
        named = api.get(
            "/api/v1/contacts/export/", {"unit": tree.cell_a1x.slug, "format": fmt}
        )
        assert named.status_code == 200 and named["Content-Type"].startswith(media)
        assert "m@example.org" in named.content.decode()
    wrong = api.get(
        "/api/v1/contacts/export/", {"unit": tree.cell_a1x.slug, "format": "xls"}
    )
    assert wrong.status_code == 400 and "format" in wrong.json()
    assert (
        api.generic("TRACE", "/api/v1/contacts/export/?format=csv").status_code == 405
    )
    bad = io.BytesIO(b"\xff\xfe\x00garbage")
    bad.name = "c.csv"
    refused = api.post(
        "/api/v1/contacts/imports/",
        {
            "unit": tree.cell_a1x.slug,
            "file": bad,
            "format": "csv",
            "consent_source": "f",
            "consent_covers": [],
        },
        format="multipart",
    )
    assert refused.status_code == 400 and "file" in refused.json()


def test_directory_api_shows_chosen_fields(tree, member, make_member, api_as):
    make_member(
        tree.cell_a1x,
        display_name="Zoé Open",
        phone="0611111111",
        shared_fields=["phone"],
    )
    make_member(tree.cell_a1x, display_name="Zoé Shy", phone="0622222222")
    rows = api_as(member).get("/api/v1/directory/", {"q": "zoé"}).json()["results"]
    assert {r["name"]: r.get("phone") for r in rows} == {
        "Zoé Open": "0611111111",
        "Zoé Shy": None,
    }
    assert (
        api_as(member).get("/api/v1/directory/", {"scope": "unit:nowhere"}).status_code
        == 400
    )


def test_contact_list_queries_are_pinned(
    tree, secretary, add_contact, api_as, django_assert_max_num_queries
):
    for i in range(25):
        add_contact(by=secretary, last_name=f"N{i}")
    api = api_as(secretary)
    api.get("/api/v1/contacts/")
    with django_assert_max_num_queries(10):
        assert len(api.get("/api/v1/contacts/").json()["results"]) == 25


def test_adding_an_email_another_member_follows_reveals_nothing(
    tree, member, make_member, add_contact, api_as
):
    other = make_member(tree.cell_a1x)
    add_contact(by=other, email="secret@example.org", notes="Private note")
    response = api_as(member).post(
        "/api/v1/contacts/",
        {
            "unit": tree.cell_a1x.slug,
            "last_name": "Guess",
            "email": "secret@example.org",
            "consent_source": "marché",
            "consent_covers": ["email"],
        },
        format="json",
    )
    assert response.status_code == 202 and response.json() == {"merged": True}
    assert "Private note" not in response.content.decode()
    assert Contact.objects.count() == 1


def test_adding_contacts_too_fast_answers_429(tree, member, api_as, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contact": "3/m"}
    api = api_as(member)
    codes = [
        api.post(
            "/api/v1/contacts/",
            {
                "unit": tree.cell_a1x.slug,
                "last_name": f"N{n}",
                "consent_source": "marché",
                "consent_covers": [],
            },
            format="json",
        )
        for n in range(5)
    ]
    assert [c.status_code for c in codes] == [201, 201, 201, 429, 429]
    assert int(codes[-1]["Retry-After"]) >= 1
    assert Contact.objects.count() == 3
