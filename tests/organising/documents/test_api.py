"""Documents' API: what a client reads and writes, and the 400s that name the field
with nothing lost."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from organising.documents import services
from organising.documents.models import Document, Revision

pytestmark = pytest.mark.django_db


def _url(document, tail=""):
    return f"/api/v1/documents/{document.public_id}/{tail}"


def test_list_detail_and_create(api_as, tree, member, leaflet):
    client = api_as(member)
    listed = client.get("/api/v1/documents/").json()
    assert [d["title"] for d in listed] == ["Tract de rentrée"]
    detail = client.get(_url(leaflet)).json()
    assert detail["revision"] == 1 and "<h1>Tract</h1>" in detail["body_html"]
    created = client.post(
        "/api/v1/documents/",
        {"unit": tree.cell_a1x.slug, "title": "Ordre du jour", "body": "- un\n"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["body_html"] == "<ul>\n<li>un</li>\n</ul>\n"


def test_save_history_diff_restore(api_as, member, leaflet):
    client = api_as(member)
    saved = client.post(
        _url(leaflet, "revisions/"),
        {
            "body": leaflet.body + "Post-scriptum.\n",
            "base_revision": 1,
            "summary": "ps",
        },
        format="json",
    )
    assert saved.status_code == 201 and saved.json()["revision"]["number"] == 2
    history = client.get(_url(leaflet, "revisions/")).json()
    assert [r["number"] for r in history] == [2, 1]
    diff = client.get(_url(leaflet, "diff/") + "?from=1&to=2").json()
    assert {"op": "insert", "text": "Post-scriptum.\n"} in diff["hunks"]
    old = client.get(_url(leaflet, "revisions/1/")).json()
    assert old["body"] == leaflet.body
    restored = client.post(_url(leaflet, "restore/"), {"revision": 1}, format="json")
    assert restored.status_code == 201 and restored.json()["restored_from"] == 1


def test_an_overlapping_save_answers_409_with_both_versions(
    api_as, member, leaflet, make_member, tree
):
    other = make_member(tree.cell_a1x)
    services.document_save(
        by=other,
        document=leaflet,
        body=leaflet.body.replace("Fin.", "A."),
        base_revision=1,
    )
    answer = api_as(member).post(
        _url(leaflet, "revisions/"),
        {"body": leaflet.body.replace("Fin.", "B."), "base_revision": 1},
        format="json",
    )
    assert answer.status_code == 409
    body = answer.json()
    assert "A." in body["merged_text"] and "B." in body["merged_text"]
    assert body["base_revision"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "x", "base_revision": 99}, "base_revision"),
        ({"body": "x"}, "base_revision"),
        ({"body": "x" * 1_000_001, "base_revision": 1}, "body"),
        ({"body": "é" * 600_000, "base_revision": 1}, "body"),
        ({"body": 12, "base_revision": 1}, "body"),
    ],
)
def test_bad_saves_answer_400_naming_the_field(api_as, member, leaflet, payload, field):
    answer = api_as(member).post(_url(leaflet, "revisions/"), payload, format="json")
    assert answer.status_code == 400 and field in answer.json()
    assert Revision.objects.filter(document=leaflet).count() == 1


def test_html_in_a_title_is_refused(api_as, tree, member):
    answer = api_as(member).post(
        "/api/v1/documents/",
        {"unit": tree.cell_a1x.slug, "title": "<img src=x onerror=alert(1)>"},
        format="json",
    )
    assert answer.status_code == 400 and "title" in answer.json()
    assert not Document.objects.exists()


def test_amendments_bad_input(api_as, tree, member, officer):
    document = services.document_create(
        by=officer,
        owner=tree.section_a1,
        title="Motion",
        body="Nous voulons du pain.\n",
        audience="unit_tree",
        amendments_until=timezone.now() + timedelta(days=1),
    )
    client = api_as(member)
    url = _url(document, "amendments/")
    gone = client.post(
        url,
        {"kind": "delete", "quote": "des roses", "justification": "x"},
        format="json",
    )
    assert gone.status_code == 400 and "quote" in gone.json()
    made = client.post(
        url,
        {
            "kind": "replace",
            "quote": "pain",
            "text": "pain et des roses",
            "justification": "Tradition",
        },
        format="json",
    )
    assert made.status_code == 201
    decided = api_as(officer).post(
        f"/api/v1/amendments/{made.json()['id']}/decide/",
        {"status": "accepted"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["applied_revision"] == 2
    Document.objects.filter(pk=document.pk).update(
        amendments_until=timezone.now() - timedelta(seconds=1)
    )
    late = client.post(
        url, {"kind": "delete", "quote": "pain", "justification": "x"}, format="json"
    )
    assert late.status_code == 400 and "document" in late.json()
    # A member may not decide.
    assert (
        client.post(
            f"/api/v1/amendments/{made.json()['id']}/decide/",
            {"status": "rejected"},
            format="json",
        ).status_code
        == 403
    )


def test_files_through_the_api(api_as, member, leaflet, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = api_as(member)
    bad = client.post(
        _url(leaflet, "files/"),
        {"file": SimpleUploadedFile("rapport.pdf", b"<html><script>x</script>")},
        format="multipart",
    )
    assert bad.status_code == 400 and "file" in bad.json()
    good = client.post(
        _url(leaflet, "files/"),
        {"file": SimpleUploadedFile("<b>rapport</b>.pdf", b"%PDF-1.7\n")},
        format="multipart",
    )
    assert good.status_code == 201 and "<" not in good.json()["name"]
    served = client.get(good.json()["url"])
    assert served.status_code == 200
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_another_federations_member_sees_nothing(api_as, leaflet, make_member, tree):
    client = api_as(make_member(tree.cell_b1x))
    assert client.get("/api/v1/documents/").json() == []
    for tail in ("", "revisions/", "diff/?from=1&to=1", "comments/", "files/"):
        assert client.get(_url(leaflet, tail)).status_code == 404, tail
