"""Documents' services: revisions stored compactly and read back, restore, the
three-way merge of concurrent saves, limits, sanitising, amendments, files, search."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from organising.documents import selectors, services, textops
from organising.documents.models import (
    SNAPSHOT_EVERY,
    Amendment,
    Attachment,
    Document,
    Draft,
    Revision,
)

pytestmark = pytest.mark.django_db


def test_every_save_is_a_revision_with_author_summary_and_base(leaflet, member):
    result = services.document_save(
        by=member,
        document=leaflet,
        body=leaflet.body + "\nAjout.\n",
        base_revision=1,
        summary="ajout",
    )
    revision = result.revision
    assert revision.number == 2 and revision.base_number == 1
    assert revision.author == member and revision.summary == "ajout"
    leaflet.refresh_from_db()
    assert leaflet.revision_number == 2 and leaflet.body.endswith("Ajout.\n")


def test_revisions_read_back_whole_across_snapshots(leaflet, member):
    texts = {1: leaflet.body}
    body = leaflet.body
    for n in range(2, SNAPSHOT_EVERY + 8):
        body = body.replace("Fin.", f"Ligne {n}.\n\nFin.")
        services.document_save(
            by=member, document=leaflet, body=body, base_revision=n - 1
        )
        texts[n] = body
    stored = {r.number: r for r in Revision.objects.filter(document=leaflet)}
    assert stored[1].snapshot is not None and stored[2].snapshot is None
    assert stored[SNAPSHOT_EVERY + 1].snapshot is not None
    for number in (1, 2, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, SNAPSHOT_EVERY + 7):
        assert services.revision_body(stored[number]) == texts[number]


def test_restore_makes_an_old_text_current_as_a_new_revision(leaflet, member):
    first = leaflet.body
    services.document_save(
        by=member, document=leaflet, body="Tout autre.\n", base_revision=1
    )
    revision = services.revision_restore(by=member, document=leaflet, number=1)
    leaflet.refresh_from_db()
    assert revision.number == 3 and revision.restored_from == 1
    assert leaflet.body == first
    assert Revision.objects.filter(document=leaflet).count() == 3


def test_diff_shows_the_words_added_and_removed(leaflet, member):
    services.document_save(
        by=member,
        document=leaflet,
        body=leaflet.body.replace("Premier paragraphe.", "Premier beau paragraphe."),
        base_revision=1,
    )
    hunks = services.revisions_diff(leaflet, 1, 2)
    assert [h.text for h in hunks if h.op == "insert"] == ["beau "]
    assert not [h for h in hunks if h.op == "delete"]


def test_concurrent_saves_on_different_lines_are_merged(
    leaflet, member, make_member, tree
):
    other = make_member(tree.cell_a1x)
    base = leaflet.body
    services.document_save(
        by=other,
        document=leaflet,
        body=base.replace("Premier", "Tout premier"),
        base_revision=1,
    )
    result = services.document_save(
        by=member,
        document=leaflet,
        body=base.replace("Fin.", "La fin."),
        base_revision=1,
    )
    assert result.merged and result.revision.origin == "merge"
    leaflet.refresh_from_db()
    assert "Tout premier paragraphe." in leaflet.body and "La fin." in leaflet.body


def test_concurrent_edits_of_one_paragraph_merge_word_by_word(
    leaflet, member, make_member, tree
):
    other = make_member(tree.cell_a1x)
    base = leaflet.body.replace("Premier paragraphe.", "Un deux trois quatre cinq.")
    services.document_save(by=member, document=leaflet, body=base, base_revision=1)
    services.document_save(
        by=other, document=leaflet, body=base.replace("Un", "Zéro un"), base_revision=2
    )
    result = services.document_save(
        by=member,
        document=leaflet,
        body=base.replace("cinq.", "cinq six."),
        base_revision=2,
    )
    assert result.merged
    leaflet.refresh_from_db()
    assert "Zéro un deux trois quatre cinq six." in leaflet.body


def test_overlapping_saves_lose_nothing(leaflet, member, make_member, tree):
    """Both changed the same words: nothing is saved over the other's text; the
    editor sees both versions, their whole text is kept as a draft until they
    resolve it."""
    other = make_member(tree.cell_a1x)
    base = leaflet.body
    theirs = base.replace("Premier paragraphe.", "Le leur.")
    mine = base.replace("Premier paragraphe.", "Le mien.")
    services.document_save(by=other, document=leaflet, body=theirs, base_revision=1)
    result = services.document_save(
        by=member, document=leaflet, body=mine, base_revision=1
    )
    assert result.conflict and result.revision is None and result.base_number == 2
    assert "Le leur." in result.text and "Le mien." in result.text
    leaflet.refresh_from_db()
    assert leaflet.body == theirs  # the other's save stands
    assert Draft.objects.get(document=leaflet, author=member).body == mine
    # Resolved by hand from revision 2: saved, the draft gone.
    resolved = services.document_save(
        by=member,
        document=leaflet,
        body=base.replace("Premier paragraphe.", "Le nôtre."),
        base_revision=result.base_number,
    )
    assert resolved.revision.number == 3
    assert not Draft.objects.filter(document=leaflet).exists()


def test_a_save_from_an_unknown_revision_is_refused(leaflet, member):
    for base in (7, -1, "x", None):
        with pytest.raises(ValidationError) as error:
            services.document_save(
                by=member, document=leaflet, body="x", base_revision=base
            )
        assert "base_revision" in error.value.error_dict
    leaflet.refresh_from_db()
    assert leaflet.revision_number == 1


def test_a_body_over_one_megabyte_is_refused(leaflet, member):
    with pytest.raises(ValidationError) as error:
        services.document_save(
            by=member, document=leaflet, body="é" * 500_001, base_revision=1
        )
    assert "body" in error.value.error_dict


def test_a_double_save_makes_one_revision(leaflet, member):
    body = leaflet.body + "x\n"
    services.document_save(by=member, document=leaflet, body=body, base_revision=1)
    again = services.document_save(
        by=member, document=leaflet, body=body, base_revision=2
    )
    assert again.revision.number == 2
    assert Revision.objects.filter(document=leaflet).count() == 2


HOSTILE = """# Titre <script>alert(1)</script>

<img src=x onerror=alert(1)>

[lien](javascript:alert(1)) [bon](https://exemple.fr)

![image](javascript:alert(1))

<iframe src="https://evil"></iframe>

| a | b |
|---|---|
| <b onclick=x>1</b> | 2 |
"""


def test_hostile_markdown_renders_without_any_raw_html():
    html = textops.render_markdown(HOSTILE)
    # What was written as HTML shows as text (escaped), never as markup.
    for bad in ("<script", "<iframe", '<img src="x', "<b ", 'href="javascript'):
        assert bad not in html
    assert 'src="javascript' not in html and "&lt;script&gt;" in html
    assert '<a href="https://exemple.fr"' in html
    assert "<table>" in html and "<h1>" in html


def test_the_rendered_text_follows_the_current_revision(leaflet, member):
    assert "<h1>Tract</h1>" in services.rendered(leaflet)
    services.document_save(
        by=member, document=leaflet, body="## Autre\n", base_revision=1
    )
    leaflet.refresh_from_db()
    assert services.rendered(leaflet) == "<h2>Autre</h2>\n"


def test_who_may_edit_is_the_documents_choice(tree, member, make_member, officer):
    neighbour = make_member(tree.cell_a1x)
    document = services.document_create(
        by=member, owner=tree.cell_a1x, title="Note", body="a\n"
    )
    with pytest.raises(PermissionDenied):
        services.document_save(
            by=neighbour, document=document, body="b\n", base_revision=1
        )
    services.document_save(by=officer, document=document, body="b\n", base_revision=1)


def test_a_member_cannot_create_in_another_cell(tree, member):
    with pytest.raises(PermissionDenied):
        services.document_create(by=member, owner=tree.cell_a1y, title="X")


def test_a_title_with_markup_is_refused(tree, member):
    with pytest.raises(ValidationError) as error:
        services.document_create(
            by=member, owner=tree.cell_a1x, title="<script>alert(1)</script>"
        )
    assert "title" in error.value.error_dict


# --- Comments ---------------------------------------------------------------------


def test_comments_on_a_passage_with_replies_and_resolve(
    leaflet, member, make_member, tree, officer
):
    other = make_member(tree.cell_a1x)
    comment = services.comment_create(
        by=other, document=leaflet, body="Trop court", quote="Deuxième paragraphe."
    )
    assert comment.offset == leaflet.body.index("Deuxième paragraphe.")
    reply = services.comment_create(
        by=member, document=leaflet, body="D'accord", parent=comment
    )
    assert reply.parent == comment
    with pytest.raises(ValidationError):
        services.comment_create(by=member, document=leaflet, body="x", quote="absent")
    outsider = make_member(tree.cell_a1y)
    with pytest.raises(PermissionDenied):
        services.comment_resolve(by=outsider, comment=comment)
    services.comment_resolve(by=officer, comment=reply)
    comment.refresh_from_db()
    assert comment.resolved_at is not None and comment.resolved_by == officer


# --- Amendments -----------------------------------------------------------------


@pytest.fixture
def congress_text(tree, officer):
    return services.document_create(
        by=officer,
        owner=tree.section_a1,
        title="Texte de congrès",
        body="Article 1. Nous voulons la paix.\n\nArticle 2. Et du pain.\n",
        audience="unit_tree",
        amendments_until=timezone.now() + timedelta(days=7),
    )


def test_an_accepted_amendment_is_applied_as_a_revision_citing_it(
    congress_text, member, officer
):
    amendment = services.amendment_propose(
        by=member,
        document=congress_text,
        kind="replace",
        quote="la paix",
        text="la paix et la justice",
        justification="Plus complet",
    )
    assert amendment.number == 1 and amendment.status == "proposed"
    services.amendment_decide(by=officer, amendment=amendment, status="accepted")
    congress_text.refresh_from_db()
    assert "la paix et la justice." in congress_text.body
    revision = congress_text.revisions.get(number=2)
    assert revision.amendment == amendment and revision.origin == "amendment"
    amendment.refresh_from_db()
    assert amendment.applied_revision == 2


def test_an_amendment_to_a_vanished_passage_is_refused(congress_text, member, officer):
    amendment = services.amendment_propose(
        by=member,
        document=congress_text,
        kind="delete",
        quote="Et du pain.",
        justification="Inutile",
    )
    services.document_save(
        by=officer,
        document=congress_text,
        body="Article 1. Nous voulons la paix.\n",
        base_revision=1,
    )
    with pytest.raises(ValidationError) as error:
        services.amendment_decide(by=officer, amendment=amendment, status="accepted")
    assert "quote" in error.value.error_dict
    amendment.refresh_from_db()
    assert amendment.status == "proposed"
    with pytest.raises(ValidationError) as error:
        services.amendment_propose(
            by=member,
            document=congress_text,
            kind="delete",
            quote="Et du pain.",
            justification="x",
        )
    assert "quote" in error.value.error_dict


def test_an_amendment_after_the_deadline_is_refused(congress_text, member):
    Document.objects.filter(pk=congress_text.pk).update(
        amendments_until=timezone.now() - timedelta(minutes=1)
    )
    congress_text.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.amendment_propose(
            by=member,
            document=congress_text,
            kind="delete",
            quote="Et du pain.",
            justification="x",
        )
    assert "document" in error.value.error_dict
    assert not Amendment.objects.exists()


def test_a_cell_submits_its_accepted_amendment_to_the_section(
    tree, congress_text, make_member
):
    from members.models import Role

    cell_secretary = make_member(
        tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
    )
    cell_text = services.document_create(
        by=cell_secretary,
        owner=tree.cell_a1x,
        title="Copie",
        body=congress_text.body,
        amendments_until=timezone.now() + timedelta(days=1),
    )
    amendment = services.amendment_propose(
        by=cell_secretary,
        document=cell_text,
        kind="insert",
        quote="Et du pain.",
        text=" Et des roses.",
        justification="Tradition",
    )
    services.amendment_decide(by=cell_secretary, amendment=amendment, status="accepted")
    amendment.refresh_from_db()
    up = services.amendment_submit(
        by=cell_secretary, amendment=amendment, to=congress_text
    )
    assert up.document == congress_text and up.on_behalf_of == tree.cell_a1x
    assert up.submitted_from == amendment and up.status == "proposed"


def test_a_vote_closing_applies_or_rejects(congress_text, member, officer):
    amendment = services.amendment_propose(
        by=member,
        document=congress_text,
        kind="delete",
        quote=" Et du pain.",
        justification="x",
    )
    services.amendment_decide(by=officer, amendment=amendment, status="voting")
    services.amendment_vote_closed(amendment_id=amendment.pk, adopted=True)
    services.amendment_vote_closed(amendment_id=amendment.pk, adopted=True)  # twice
    congress_text.refresh_from_db()
    assert "pain" not in congress_text.body
    assert congress_text.revision_number == 2


# --- Files ---------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_files_are_checked_against_their_type(leaflet, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = services.attachment_upload(
        by=member,
        document=leaflet,
        upload=SimpleUploadedFile("../../<script>x</script>.pdf", b"%PDF-1.4\n%%EOF"),
    )
    assert pdf.name == "script.pdf" or "<" not in pdf.name
    assert pdf.content_type == "application/pdf"
    assert not pdf.file.name.endswith("script.pdf")
    image = services.attachment_upload(
        by=member, document=leaflet, upload=SimpleUploadedFile("photo.png", _png())
    )
    assert image.content_type == "image/png"
    for name, data in (
        ("fake.pdf", b"MZ\x90\x00 not a pdf"),
        ("fake.docx", b"PK\x03\x04 broken"),
        ("fake.png", b"%PDF-1.4"),
        ("run.exe", b"MZ"),
        ("page.html", b"<script>"),
    ):
        with pytest.raises(ValidationError) as error:
            services.attachment_upload(
                by=member, document=leaflet, upload=SimpleUploadedFile(name, data)
            )
        assert "file" in error.value.error_dict
    assert Attachment.objects.count() == 2


def test_a_units_files_have_a_limit(leaflet, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DOCUMENTS_UNIT_FILES_MAX_BYTES = 30
    services.attachment_upload(
        by=member,
        document=leaflet,
        upload=SimpleUploadedFile("a.pdf", b"%PDF-" + b"1" * 20),
    )
    with pytest.raises(ValidationError) as error:
        services.attachment_upload(
            by=member,
            document=leaflet,
            upload=SimpleUploadedFile("b.pdf", b"%PDF-" + b"2" * 20),
        )
    assert "full" in str(error.value)


# --- Search ----------------------------------------------------------------------


def test_search_finds_only_visible_documents(
    tree, leaflet, make_member, officer, member, django_capture_on_commit_callbacks
):
    # The full-text vector is refreshed once the save commits (a queued task).
    with django_capture_on_commit_callbacks(execute=True):
        services.document_save(
            by=member, document=leaflet, body=leaflet.body + "\n", base_revision=1
        )
        services.document_create(
            by=officer,
            owner=tree.section_a1,
            title="Stratégie",
            body="Les militants du secteur\n",
            audience="officers",
        )
    member_b = make_member(tree.cell_b1x)
    same_cell = make_member(tree.cell_a1x)
    assert [d.title for d in selectors.search(same_cell, "paragraphe")] == [
        "Tract de rentrée"
    ]
    assert selectors.search(member_b, "paragraphe") == []
    assert selectors.search(same_cell, "militants") == []
    assert [d.title for d in selectors.search(officer, "militants")] == ["Stratégie"]


def test_the_demo_leaflet_has_revisions_a_merge_and_a_comment(db, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    leaflet = Document.objects.get(title="Tract : transports gratuits")
    assert leaflet.revision_number == 3
    assert leaflet.revisions.get(number=3).origin == "merge"
    assert "Aubagne" in leaflet.body and "Samedi 14" in leaflet.body
    assert leaflet.comments.filter(parent__isnull=True).count() == 1
    assert Amendment.objects.filter(document__title__startswith="Motion").count() == 1


def test_an_amendment_sent_to_a_vote_is_applied_when_the_vote_adopts_it(
    congress_text, member, officer, django_capture_on_commit_callbacks
):
    from organising.votes.models import Vote
    from organising.votes.services import ballot_cast, vote_close

    amendment = services.amendment_propose(
        by=member,
        document=congress_text,
        kind="delete",
        quote=" Et du pain.",
        justification="Hors sujet",
    )
    services.amendment_decide(by=officer, amendment=amendment, status="voting")
    amendment.refresh_from_db()
    vote = Vote.objects.get(pk=amendment.vote_id)
    assert vote.subject == f"documents.amendment:{amendment.pk}"
    assert vote.status == "open" and vote.kind == "motion"
    ballot_cast(vote=vote, by=member, choices=[0])  # option 0: for
    with django_capture_on_commit_callbacks(execute=True):
        vote_close(vote=vote, by=officer)
    amendment.refresh_from_db()
    congress_text.refresh_from_db()
    assert amendment.status == "accepted" and "pain" not in congress_text.body
