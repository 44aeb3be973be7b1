"""Documents' pages: what a member sees and does with a browser without JavaScript."""

import pytest
from django.urls import reverse

from organising.documents import services
from organising.documents.models import Draft

pytestmark = pytest.mark.django_db


def test_a_member_reads_edits_and_compares(client_as, leaflet, member):
    client = client_as(member)
    page = client.get(leaflet.get_absolute_url())
    assert page.status_code == 200
    assert "<h1>Tract</h1>" in page.content.decode()
    edit_url = reverse("documents:edit", args=[leaflet.public_id])
    form = client.get(edit_url)
    assert 'name="base_revision" value="1"' in form.content.decode()
    saved = client.post(
        edit_url,
        {
            "body": leaflet.body.replace("Premier", "Tout premier"),
            "summary": "plus fort",
            "base_revision": 1,
        },
    )
    assert saved.status_code == 302
    history = client.get(reverse("documents:history", args=[leaflet.public_id]))
    assert "plus fort" in history.content.decode()
    diff = client.get(
        reverse("documents:diff", args=[leaflet.public_id]) + "?from=1&to=2"
    )
    assert "<del>Premier </del><ins>Tout premier </ins>" in diff.content.decode()


def test_a_conflicting_save_shows_both_versions_and_keeps_the_draft(
    client_as, leaflet, member, make_member, tree
):
    other = make_member(tree.cell_a1x)
    services.document_save(
        by=other,
        document=leaflet,
        body=leaflet.body.replace("Fin.", "Leur fin."),
        base_revision=1,
    )
    client = client_as(member)
    edit_url = reverse("documents:edit", args=[leaflet.public_id])
    page = client.post(
        edit_url,
        {"body": leaflet.body.replace("Fin.", "Ma fin."), "base_revision": 1},
    )
    text = page.content.decode()
    assert page.status_code == 200 and "Leur fin." in text and "Ma fin." in text
    assert 'name="base_revision" value="2"' in text
    assert Draft.objects.filter(author=member).exists()
    again = client.get(edit_url)
    assert "Ma fin." in again.content.decode()


def test_another_cells_member_gets_404_everywhere(
    client_as, leaflet, make_member, tree
):
    client = client_as(make_member(tree.cell_b1x))
    for name in ("document", "edit", "history", "diff", "amendments", "amended"):
        url = reverse(f"documents:{name}", args=[leaflet.public_id])
        assert client.get(url).status_code == 404, name


def test_a_reader_who_may_not_edit_gets_403(client_as, tree, member, make_member):
    document = services.document_create(
        by=member, owner=tree.cell_a1x, title="Note", body="a\n"
    )
    client = client_as(make_member(tree.cell_a1x))
    url = reverse("documents:edit", args=[document.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "x", "base_revision": 1}).status_code == 403


def test_create_from_a_unit_page(client_as, tree, member):
    client = client_as(member)
    page = client.get(reverse("documents:unit", args=[tree.cell_a1x.slug]))
    assert "New document" in page.content.decode()
    created = client.post(
        reverse("documents:create"),
        {
            "unit": tree.cell_a1x.slug,
            "title": "Compte rendu",
            "audience": "unit",
            "editors": "audience",
            "new_folder": "Comptes rendus",
            "body": "## Présents\n",
        },
    )
    assert created.status_code == 302
    page = client.get(reverse("documents:unit", args=[tree.cell_a1x.slug]))
    assert "Comptes rendus" in page.content.decode()


def test_comments_amendments_and_search_pages(
    client_as, leaflet, member, officer, django_capture_on_commit_callbacks
):
    # PostgreSQL: the search vector is refreshed once a save commits.
    with django_capture_on_commit_callbacks(execute=True):
        services.document_save(
            by=member, document=leaflet, body=leaflet.body + "\n", base_revision=1
        )
    client = client_as(member)
    client.post(
        reverse("documents:comment", args=[leaflet.public_id]),
        {"quote": "Deuxième paragraphe.", "body": "À revoir"},
    )
    page = client.get(leaflet.get_absolute_url())
    assert "À revoir" in page.content.decode()
    found = client.get(reverse("documents:index") + "?q=paragraphe")
    assert "Tract de rentrée" in found.content.decode()
    assert (
        client.get(
            reverse("documents:amendments", args=[leaflet.public_id])
        ).status_code
        == 200
    )


def test_an_author_withdraws_their_amendment(client_as, tree, member, officer):
    from datetime import timedelta

    from django.utils import timezone

    document = services.document_create(
        by=officer,
        owner=tree.section_a1,
        title="Motion",
        body="Du pain.\n",
        audience="unit_tree",
        amendments_until=timezone.now() + timedelta(days=1),
    )
    client = client_as(member)
    url = reverse("documents:amendments", args=[document.public_id])
    client.post(url, {"kind": "delete", "quote": "pain", "justification": "x"})
    amendment = document.amendments.get()
    page = client.get(url).content.decode()
    assert "Withdraw" in page
    client.post(
        reverse("documents:amendment_decide", args=[amendment.public_id]),
        {"status": "withdrawn"},
    )
    amendment.refresh_from_db()
    assert amendment.status == "withdrawn"
    # A member may not accept one.
    other = services.amendment_propose(
        by=officer, document=document, kind="delete", quote="Du", justification="x"
    )
    client.post(
        reverse("documents:amendment_decide", args=[other.public_id]),
        {"status": "accepted"},
    )
    other.refresh_from_db()
    assert other.status == "proposed"
