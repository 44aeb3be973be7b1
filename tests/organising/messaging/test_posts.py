"""Posting, replying, editing, deleting, hiding, reporting, reacting, relaying,
boosting, following, muting and blocking: the rules a member meets."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from PIL import Image

from federation.models import Audience
from organising.audit.models import AuditEntry
from organising.messaging import selectors, services
from organising.messaging.models import Notification, Post, Reaction, Report
from organising.messaging.text import clean_html


def png_upload(name="photo.png", size=(8, 8)) -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, "red").save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def jpeg_with_exif() -> SimpleUploadedFile:
    data = io.BytesIO()
    image = Image.new("RGB", (8, 8), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(data, format="JPEG", exif=exif)
    return SimpleUploadedFile("p.jpg", data.getvalue(), content_type="image/jpeg")


# --- Bodies and sanitising -----------------------------------------------------


def test_body_links_mentions_and_hashtags_become_links(people, post_as):
    services.handle_for(people.bob)
    post = post_as(people.alice, "Hi @bob.durand see https://example.org/a?b=1. #Grève")
    assert 'href="https://example.org/a?b=1"' in post.body_html
    assert 'rel="nofollow noopener ugc"' in post.body_html
    assert 'class="mention">@bob.durand</a>' in post.body_html
    assert (
        "/timeline/tags/gr%C3%A8ve/" in post.body_html
        or "/timeline/tags/grève/" in post.body_html
    )
    assert [tag.name for tag in post.hashtags.all()] == ["grève"]


def test_unknown_mention_stays_text(people, post_as):
    post = post_as(people.alice, "Hello @nobody")
    assert "<a" not in post.body_html
    assert "@nobody" in post.body_html


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil>",
        "<svg onload=alert(1)>",
    ],
)
def test_script_or_event_handler_html_is_refused_and_nothing_stored(
    people, post_as, body
):
    with pytest.raises(ValidationError) as error:
        post_as(people.alice, body)
    assert "body" in error.value.message_dict
    assert not Post.objects.exists()


def test_harmless_angle_brackets_are_escaped_not_rendered(people, post_as):
    post = post_as(people.alice, "1 < 2 and <b>bold</b> & done")
    assert "<b>" not in post.body_html
    assert "&lt;b&gt;bold&lt;/b&gt;" in post.body_html
    assert "&amp; done" in post.body_html


def test_clean_html_strips_everything_but_links_and_breaks():
    dirty = (
        '<p onclick="x()">a<script>b</script>'
        '<a href="javascript:x" onmouseover="y">c</a><br></p>'
    )
    cleaned = clean_html(dirty)
    assert (
        "onclick" not in cleaned
        and "<script" not in cleaned
        and "javascript" not in cleaned
    )
    assert "onmouseover" not in cleaned


@pytest.mark.parametrize("body", ["", "   ", "x" * 1001])
def test_empty_or_overlong_body_is_refused(people, post_as, body):
    with pytest.raises(ValidationError):
        post_as(people.alice, body)
    assert not Post.objects.exists()


def test_a_double_submit_posts_once(people, post_as):
    first = post_as(people.alice, "Same words")
    second = post_as(people.alice, "Same words")
    assert first.pk == second.pk
    assert Post.objects.count() == 1


# --- Audiences ---------------------------------------------------------------------


def test_member_cannot_post_to_a_unit_they_hold_no_office_over(tree, people, post_as):
    with pytest.raises(PermissionDenied):
        post_as(people.alice, "to the section", Audience.UNIT_TREE, tree.section_a1)
    with pytest.raises(PermissionDenied):
        post_as(people.alice, "to a sibling cell", Audience.UNIT, tree.cell_a1y)
    assert not Post.objects.exists()


def test_officer_posts_to_units_below_their_office(tree, people, post_as):
    post = post_as(people.officer, "to a cell below", Audience.UNIT_TREE, tree.cell_a1x)
    assert post.unit == tree.cell_a1x


def test_sympathiser_and_former_member_cannot_post(people, post_as):
    for user in (people.sympathiser, people.former):
        with pytest.raises(PermissionDenied):
            services.post_create(author=user, body="hi", audience=Audience.PUBLIC)


def test_party_post_is_published_in_the_authors_cell(tree, people):
    post = services.post_create(author=people.alice, body="hi", audience=Audience.PARTY)
    assert post.unit == tree.cell_a1x


def test_public_post_from_a_unit_needs_an_office_there(tree, people):
    with pytest.raises(PermissionDenied):
        services.post_create(
            author=people.alice, body="hi", audience=Audience.PUBLIC, unit=tree.fed_a
        )
    post = services.post_create(
        author=people.fed_secretary,
        body="hi",
        audience=Audience.PUBLIC,
        unit=tree.fed_a,
    )
    assert post.unit == tree.fed_a


# --- Images --------------------------------------------------------------------------


def test_images_are_checked_and_stored_without_metadata(
    people, post_as, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    post = post_as(people.alice, "pics", images=[png_upload(), jpeg_with_exif()])
    images = list(post.images.all())
    assert [(i.width, i.height) for i in images] == [(8, 8), (8, 8)]
    with Image.open(images[1].image.path) as stored:
        assert not stored.getexif()


def test_a_file_that_is_not_an_image_is_refused(people, post_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        post_as(people.alice, "pic", images=[fake])
    assert "images" in error.value.message_dict
    assert not Post.objects.exists()


def test_an_image_over_10_mb_is_refused(people, post_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024 + 1), content_type="image/png"
    )
    with pytest.raises(ValidationError) as error:
        post_as(people.alice, "pic", images=[big])
    assert "10 MB" in str(error.value)


def test_at_most_four_images(people, post_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError):
        post_as(people.alice, "pics", images=[png_upload() for _ in range(5)])


def test_images_of_a_cell_post_are_served_only_to_its_audience(
    people, post_as, client_as, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    post = post_as(people.alice, "pic", images=[png_upload()])
    image = post.images.get()
    url = f"/posts/{post.pk}/images/{image.pk}/"
    assert client_as(people.bob).get(url).status_code == 200
    assert client_as(people.carol).get(url).status_code == 404


# --- Threads -------------------------------------------------------------------------


def test_replies_form_a_thread_and_notify_the_parent_author(people, post_as):
    root = post_as(people.alice, "root")
    first = services.post_create(author=people.bob, body="first reply", parent=root)
    nested = services.post_create(
        author=people.alice, body="answer to bob", parent=first
    )
    root.refresh_from_db()
    assert root.reply_count == 1
    assert (first.root_id, nested.root_id) == (root.pk, root.pk)
    assert first.audience == root.audience and first.audience_unit == root.audience_unit
    thread = selectors.thread_for(people.bob, root)
    assert [(reply.body, depth) for reply, depth in thread.replies] == [
        ("first reply", 1),
        ("answer to bob", 2),
    ]
    assert (
        Notification.objects.filter(recipient=people.alice, kind="reply").count() == 1
    )
    assert Notification.objects.filter(recipient=people.bob, kind="reply").count() == 1


def test_replies_stay_out_of_timelines(people, post_as):
    root = post_as(people.alice, "root")
    services.post_create(author=people.bob, body="reply", parent=root)
    assert [p.body for p in selectors.timeline_home(people.bob).items] == ["root"]


def test_reply_to_a_post_one_cannot_see_is_404_and_stores_nothing(people, post_as):
    root = post_as(people.alice, "cell only")
    with pytest.raises(Http404):
        services.post_create(author=people.carol, body="sneaky", parent=root)
    assert Post.objects.count() == 1


# --- Edit, delete, hide, report ----------------------------------------------------


def test_author_edits_within_15_minutes_and_it_shows_edited(people, post_as, client_as):
    post = post_as(people.alice, "typo")
    services.post_edit(post=post, by=people.alice, body="fixed")
    post.refresh_from_db()
    assert post.body == "fixed" and post.edited_at is not None
    assert "edited" in client_as(people.bob).get(f"/posts/{post.pk}/").content.decode()


def test_no_edit_after_15_minutes(people, post_as):
    post = post_as(people.alice, "old")
    Post.objects.filter(pk=post.pk).update(
        created=timezone.now() - timedelta(minutes=16)
    )
    post.refresh_from_db()
    with pytest.raises(ValidationError):
        services.post_edit(post=post, by=people.alice, body="new")


def test_only_the_author_edits_or_deletes(people, post_as):
    post = post_as(people.alice, "mine")
    with pytest.raises(PermissionDenied):
        services.post_edit(post=post, by=people.bob, body="yours")
    with pytest.raises(PermissionDenied):
        services.post_delete(post=post, by=people.bob)


def test_deleted_post_leaves_timelines_and_its_page(people, post_as, client_as):
    post = post_as(people.alice, "oops")
    services.post_delete(post=post, by=people.alice)
    assert selectors.timeline_home(people.bob).items == []
    assert client_as(people.bob).get(f"/posts/{post.pk}/").status_code == 404


def test_deleted_post_with_replies_keeps_its_thread(people, post_as, client_as):
    post = post_as(people.alice, "oops")
    services.post_create(author=people.bob, body="a reply", parent=post)
    services.post_delete(post=post, by=people.alice)
    page = client_as(people.bob).get(f"/posts/{post.pk}/").content.decode()
    assert "a reply" in page and "oops" not in page


def test_officer_hides_with_a_reason_shown_to_the_author(
    tree, people, post_as, client_as
):
    post = post_as(people.alice, "rude words")
    services.post_hide(post=post, by=people.officer, reason="Insults")
    assert selectors.timeline_home(people.bob).items == []
    assert client_as(people.bob).get(f"/posts/{post.pk}/").status_code == 404
    page = client_as(people.alice).get(f"/posts/{post.pk}/").content.decode()
    assert "Insults" in page
    notification = Notification.objects.get(recipient=people.alice, kind="hidden")
    assert notification.text == "Insults"
    assert AuditEntry.objects.filter(action="post.hide").exists()


def test_member_cannot_hide_and_hiding_needs_a_reason(people, post_as):
    post = post_as(people.alice, "text")
    with pytest.raises(PermissionDenied):
        services.post_hide(post=post, by=people.bob, reason="no")
    with pytest.raises(ValidationError):
        services.post_hide(post=post, by=people.officer, reason=" ")


def test_officer_of_another_branch_cannot_hide(tree, people, post_as, make_member):
    from members.models import Role

    other = make_member(tree.cell_b1x, roles=[(tree.section_b1, Role.Kind.OFFICER)])
    post = post_as(people.alice, "text", Audience.PUBLIC)
    with pytest.raises(PermissionDenied):
        services.post_hide(post=post, by=other, reason="no")


def test_report_goes_to_the_nearest_officers_once(tree, people, post_as):
    post = post_as(people.alice, "bad")
    services.post_report(post=post, by=people.bob, reason="spam")
    services.post_report(post=post, by=people.bob, reason="spam again")
    assert Report.objects.count() == 1
    recipients = set(
        Notification.objects.filter(kind="report").values_list(
            "recipient_id", flat=True
        )
    )
    assert recipients == {
        people.officer.pk
    }  # section A1's officer, nearest above cell A1x


def test_report_needs_a_visible_post(people, post_as):
    post = post_as(people.alice, "cell only")
    with pytest.raises(Http404):
        services.post_report(post=post, by=people.carol, reason="?")


def test_hiding_closes_open_reports(people, post_as):
    post = post_as(people.alice, "bad")
    services.post_report(post=post, by=people.bob, reason="spam")
    services.post_hide(post=post, by=people.officer, reason="spam")
    assert Report.objects.get().resolved_at is not None


# --- Reactions, boosts, relays -------------------------------------------------------


def test_reactions_are_idempotent_and_counted(people, post_as):
    post = post_as(people.alice, "like me")
    services.post_react(post=post, by=people.bob, kind="like")
    services.post_react(post=post, by=people.bob, kind="like")
    services.post_react(post=post, by=people.alice, kind="like")
    services.post_react(post=post, by=people.alice, kind="fist")
    assert Reaction.objects.count() == 3
    [decorated] = selectors.decorate([post], people.bob)
    counts = {
        kind: (count, mine) for kind, _label, count, mine in decorated.reaction_list
    }
    assert counts["like"] == (2, True) and counts["fist"] == (1, False)
    services.post_react(post=post, by=people.bob, kind="like", on=False)
    assert Reaction.objects.count() == 2


def test_unknown_reaction_is_refused(people, post_as):
    post = post_as(people.alice, "x")
    with pytest.raises(ValidationError):
        services.post_react(post=post, by=people.bob, kind="angry")


def test_boost_reaches_followers_who_can_already_see_the_post(tree, people, post_as):
    post = post_as(people.officer, "section news", Audience.UNIT_TREE, tree.section_a1)
    services.relation_set(owner=people.dan, target=people.carol, kind="follow")
    services.relation_set(
        owner=people.fed_secretary, target=people.carol, kind="follow"
    )
    boost = services.post_boost(post=post, by=people.carol)
    assert services.post_boost(post=post, by=people.carol).pk == boost.pk  # idempotent
    # The federation secretary (office above) sees the section; Dan does not.
    fed_home = selectors.timeline_home(people.fed_secretary).items
    assert [(p.kind, p.shared_id) for p in fed_home] == [("boost", post.pk)]
    assert selectors.timeline_home(people.dan).items == []
    services.post_boost(post=post, by=people.carol, on=False)
    assert selectors.timeline_home(people.fed_secretary).items == []


def test_officer_relays_a_cell_post_to_the_section(tree, people, post_as, client_as):
    post = post_as(people.alice, "great action in our cell")
    relay = services.post_relay(
        post=post,
        by=people.officer,
        audience=Audience.UNIT_TREE,
        audience_unit=tree.section_a1,
        body="Bravo",
    )
    carol_home = selectors.timeline_home(people.carol).items
    assert [(p.kind, p.shared_id) for p in carol_home] == [("relay", post.pk)]
    page = client_as(people.carol).get("/timeline/").content.decode()
    assert "great action in our cell" in page and people.alice.display_name in page
    assert tree.cell_a1x.name in page
    assert Notification.objects.filter(recipient=people.alice, kind="relay").exists()
    assert AuditEntry.objects.filter(action="post.relay").exists()
    again = services.post_relay(
        post=post,
        by=people.officer,
        audience=Audience.UNIT_TREE,
        audience_unit=tree.section_a1,
    )
    assert again.pk == relay.pk


def test_relay_needs_an_office_above_the_posts_unit(tree, people, post_as):
    post = post_as(people.alice, "cell")
    with pytest.raises(PermissionDenied):
        services.post_relay(
            post=post,
            by=people.bob,
            audience=Audience.UNIT_TREE,
            audience_unit=tree.section_a1,
        )
    section_post = post_as(
        people.officer, "section", Audience.UNIT_TREE, tree.section_a1
    )
    with pytest.raises(ValidationError):
        services.post_relay(
            post=section_post,
            by=people.officer,
            audience=Audience.UNIT_TREE,
            audience_unit=tree.section_a1,
        )


def test_relay_of_a_removed_original_shows_a_placeholder(
    tree, people, post_as, client_as
):
    post = post_as(people.alice, "soon gone")
    services.post_relay(
        post=post,
        by=people.officer,
        audience=Audience.UNIT_TREE,
        audience_unit=tree.section_a1,
    )
    services.post_delete(post=post, by=people.alice)
    page = client_as(people.carol).get("/timeline/").content.decode()
    assert "soon gone" not in page
    assert "original post was removed" in page


# --- Mentions, mutes, blocks ---------------------------------------------------------


def test_mention_notifies_only_members_who_can_see_the_post(people, post_as):
    for user in (people.bob, people.erin):
        services.handle_for(user)
    post_as(people.alice, "Hey @bob.durand and @erin.leroy")
    assert Notification.objects.filter(recipient=people.bob, kind="mention").exists()
    assert not Notification.objects.filter(recipient=people.erin).exists()


def test_edit_adding_a_mention_notifies_once(people, post_as):
    services.handle_for(people.bob)
    post = post_as(people.alice, "hello")
    services.post_edit(post=post, by=people.alice, body="hello @bob.durand")
    services.post_edit(post=post, by=people.alice, body="hello @bob.durand !")
    assert (
        Notification.objects.filter(recipient=people.bob, kind="mention").count() == 1
    )


def test_muted_member_disappears_from_timeline_and_sends_no_notification(
    people, post_as
):
    services.relation_set(owner=people.bob, target=people.alice, kind="mute")
    services.handle_for(people.bob)
    post_as(people.alice, "hi @bob.durand")
    assert selectors.timeline_home(people.bob).items == []
    assert not Notification.objects.filter(recipient=people.bob).exists()


def test_block_hides_both_ways_and_ends_follows(people, post_as):
    services.relation_set(owner=people.bob, target=people.alice, kind="follow")
    services.relation_set(owner=people.alice, target=people.bob, kind="block")
    post_as(people.alice, "from alice")
    post_as(people.bob, "from bob")
    assert [p.body for p in selectors.timeline_home(people.alice).items] == [
        "from alice"
    ]
    assert [p.body for p in selectors.timeline_home(people.bob).items] == ["from bob"]
    with pytest.raises(PermissionDenied):
        services.relation_set(owner=people.bob, target=people.alice, kind="follow")


def test_cannot_follow_oneself(people):
    with pytest.raises(ValidationError):
        services.relation_set(owner=people.alice, target=people.alice, kind="follow")


def test_posting_works_when_the_channel_layer_is_down(
    people, post_as, monkeypatch, django_capture_on_commit_callbacks
):
    """Redis down pauses live delivery only: the post is stored and readable."""
    from channels.layers import get_channel_layer

    async def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(type(get_channel_layer()), "group_send", broken, raising=False)
    services.handle_for(people.bob)
    with django_capture_on_commit_callbacks(execute=True):
        post = post_as(people.alice, "still here @bob.durand")
    assert [p.pk for p in selectors.timeline_home(people.bob).items] == [post.pk]
    assert Notification.objects.filter(recipient=people.bob).exists()
