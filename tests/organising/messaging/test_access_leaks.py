"""The access leaks of issue 18, each as a hostile member tried it: what they get back
from the pages and the API now."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from federation.models import Audience, Group, GroupMembership
from members.services import membership_end
from organising.messaging import selectors, services, tasks
from organising.messaging.models import Post


def test_an_officer_cannot_relay_an_officers_only_post_to_the_section(
    tree, people, post_as, client_as, api_as
):
    report = post_as(people.alice, "for the officers", Audience.OFFICERS, tree.cell_a1x)
    with pytest.raises(ValidationError):
        services.post_relay(
            post=report,
            by=people.officer,
            audience=Audience.UNIT_TREE,
            audience_unit=tree.section_a1,
        )
    officer = client_as(people.officer)
    assert "Relay" not in officer.get(f"/posts/{report.pk}/").content.decode()
    assert officer.get(f"/posts/{report.pk}/relay/").status_code == 403
    response = api_as(people.officer).post(
        f"/api/v1/posts/{report.pk}/relay/",
        {"audience": "unit_tree", "audience_unit": tree.section_a1.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "audience" in response.json()
    assert not Post.objects.filter(kind=Post.Kind.RELAY).exists()
    assert (
        "for the officers"
        not in client_as(people.carol).get("/timeline/").content.decode()
    )


def test_asking_to_join_a_closed_group_does_not_show_its_members(
    tree, people, client_as
):
    group = Group.objects.create(
        unit=tree.section_a1, name="Commission", slug="commission", is_open=False
    )
    GroupMembership.objects.create(group=group, user=people.bob)
    GroupMembership.objects.create(group=group, user=people.carol, status="pending")
    page = client_as(people.carol).get(f"/groups/{group.slug}/").content.decode()
    assert people.bob.display_name not in page
    member_page = client_as(people.bob).get(f"/groups/{group.slug}/").content.decode()
    assert people.bob.display_name in member_page


def test_a_sympathiser_cannot_read_handles_through_the_new_message_page(
    people, client_as
):
    handle = services.handle_for(people.bob).name
    page = client_as(people.sympathiser).get(
        f"/messages/new/?to={people.bob.public_id}"
    )
    assert f"@{handle}" not in page.content.decode()
    # A member who may write to Bob still gets him filled in.
    member_page = client_as(people.alice).get(
        f"/messages/new/?to={people.bob.public_id}"
    )
    assert f"@{handle}" in member_page.content.decode()


def test_the_unit_tree_api_is_for_members_only(tree, people, api_as):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get("/api/v1/units/").status_code in (401, 403)
    assert anonymous.get(f"/api/v1/units/{tree.cell_a1x.slug}/").status_code in (
        401,
        403,
    )
    assert api_as(people.former).get("/api/v1/units/").status_code == 403
    assert api_as(people.sympathiser).get("/api/v1/units/").status_code == 200
    assert api_as(people.bob).get(f"/api/v1/units/{tree.cell_a1x.slug}/").json()[
        "slug"
    ] == (tree.cell_a1x.slug)


def test_a_blocked_member_can_neither_open_nor_answer_the_blockers_posts(
    people, post_as, client_as, api_as
):
    post = post_as(people.alice, "my cell post")
    services.relation_set(owner=people.alice, target=people.bob, kind="block")
    bob = client_as(people.bob)
    assert bob.get(f"/posts/{post.pk}/").status_code == 404
    assert bob.post(f"/posts/{post.pk}/reply/", {"body": "hey"}).status_code == 404
    assert (
        bob.post(f"/posts/{post.pk}/react/", {"reaction": "like.1"}).status_code == 404
    )
    assert bob.post(f"/posts/{post.pk}/boost/").status_code == 404
    api = api_as(people.bob)
    assert api.get(f"/api/v1/posts/{post.pk}/").status_code == 404
    assert (
        api.post(
            "/api/v1/posts/", {"body": "hey", "parent": post.pk}, format="json"
        ).status_code
        == 404
    )
    assert post.reactions.count() == 0
    assert not Post.objects.filter(parent=post).exists()
    assert not Post.objects.filter(kind=Post.Kind.BOOST).exists()


def test_an_adherent_demoted_to_sympathiser_no_longer_reads_an_adherent_group(
    tree, people, post_as, health_group, client_as, api_as
):
    post_as(people.erin, "group news", Audience.GROUP, group=health_group)
    timeline = f"/timeline/groups/{health_group.slug}/"
    assert "group news" in client_as(people.alice).get(timeline).content.decode()
    membership = people.alice.memberships.get(ended_on__isnull=True)
    membership.status = "sympathiser"
    membership.save()
    assert (
        client_as(people.alice)
        .get(f"/timeline/groups/{health_group.slug}/")
        .status_code
        == 404
    )
    response = api_as(people.alice).get(
        f"/api/v1/timelines/groups/{health_group.slug}/"
    )
    assert response.status_code == 404
    home = client_as(people.alice).get("/timeline/").content.decode()
    assert "group news" not in home


def test_the_author_of_an_officers_only_post_reads_the_officers_replies(
    tree, people, post_as, client_as, api_as
):
    report = post_as(people.alice, "a problem", Audience.OFFICERS, tree.section_a1)
    services.post_create(author=people.officer, body="we are on it", parent=report)
    page = client_as(people.alice).get(f"/posts/{report.pk}/").content.decode()
    assert "we are on it" in page
    thread = api_as(people.alice).get(f"/api/v1/posts/{report.pk}/").json()
    assert [reply["body"] for reply in thread["replies"]] == ["we are on it"]
    # And may answer them there.
    services.post_create(author=people.alice, body="thanks", parent=report)
    assert client_as(people.bob).get(f"/posts/{report.pk}/").status_code == 404


def test_a_hidden_reply_is_a_placeholder_in_the_api(tree, people, post_as, api_as):
    post = post_as(people.alice, "root")
    reply = services.post_create(author=people.bob, body="rude words", parent=post)
    services.post_hide(post=reply, by=people.officer, reason="insults")
    thread = api_as(people.alice).get(f"/api/v1/posts/{post.pk}/").json()
    shown = {row["id"]: row for row in thread["replies"]}
    if reply.pk in shown:
        assert shown[reply.pk]["body"] == ""
        assert shown[reply.pk]["body_html"] == ""
        assert shown[reply.pk]["hidden_reason"] is None
    assert "rude words" not in str(thread) and "insults" not in str(thread)
    # Its author and the officers still read it, with the reason.
    for reader in (people.bob, people.officer):
        rows = api_as(reader).get(f"/api/v1/posts/{post.pk}/").json()["replies"]
        assert [(r["body"], r["hidden_reason"]) for r in rows] == [
            ("rude words", "insults")
        ]


# --- Former members keep only their own data -------------------------------------


@pytest.fixture
def ended(people):
    """End Bob's membership (by the federation's secretary); returns Bob."""

    def end(person):
        membership_end(member=person, by=people.fed_secretary)
        person.refresh_from_db()
        return person

    return end


def test_a_former_member_leaves_their_group_conversations(
    people, ended, client_as, api_as
):
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob, people.carol], body="hello all"
    )
    ended(people.bob)
    services.message_send(conversation=conversation, by=people.alice, body="secret")
    bob = client_as(people.bob)
    assert bob.get(f"/messages/{conversation.pk}/").status_code == 404
    assert "secret" not in bob.get("/messages/").content.decode()
    api = api_as(people.bob)
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 404
    assert (
        api.get(f"/api/v1/conversations/{conversation.pk}/messages/").status_code == 404
    )
    assert api.get("/api/v1/conversations/").json()["results"] == []


def test_a_former_members_old_reply_no_longer_shows_the_cell_post(
    tree, people, post_as, ended, client_as, api_as
):
    post = post_as(people.alice, "cell only news", Audience.UNIT, tree.cell_a1x)
    reply = services.post_create(author=people.bob, body="my answer", parent=post)
    ended(people.bob)
    page = client_as(people.bob).get(f"/posts/{reply.pk}/")
    assert page.status_code == 200
    assert "my answer" in page.content.decode()
    assert "cell only news" not in page.content.decode()
    thread = api_as(people.bob).get(f"/api/v1/posts/{reply.pk}/").json()
    assert thread["root"] is None
    assert thread["post"]["body"] == "my answer"
    assert client_as(people.bob).get(f"/posts/{post.pk}/").status_code == 404


def test_no_email_digest_goes_to_a_former_member(people, post_as, ended):
    services.handle_for(people.bob)
    post_as(people.alice, "hey @bob.durand")
    ended(people.bob)
    mail.outbox.clear()
    assert (
        tasks.email_unread_notifications.apply(kwargs={"frequency": "daily"}).get() == 0
    )
    assert mail.outbox == []


def test_a_former_member_hears_no_more_news_of_others(
    tree, people, post_as, ended, client_as
):
    post = post_as(people.bob, "my old post", Audience.PUBLIC)
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob, people.carol], body="hello all"
    )
    ended(people.bob)
    services.post_create(author=people.alice, body="an answer", parent=post)
    services.message_send(conversation=conversation, by=people.alice, body="later")
    assert not people.bob.notifications.filter(kind="reply").exists()
    counts = selectors.unread_counts(people.bob.pk)
    assert counts == {"notifications": 0, "messages": 1}  # the one before leaving
    # What happens to their own post is still theirs to know.
    services.post_hide(post=post, by=people.fed_secretary, reason="old")
    assert people.bob.notifications.filter(kind="hidden").exists()


def test_a_report_outside_ones_units_is_404(tree, people, post_as, client_as):
    post = post_as(people.alice, "cell post")
    report = services.post_report(post=post, by=people.bob, reason="spam")
    outside = client_as(people.erin).post(f"/posts/reports/{report.pk}/resolve/")
    assert outside.status_code == 404
    inside = client_as(people.officer).post(f"/posts/reports/{report.pk}/resolve/")
    assert inside.status_code == 302
