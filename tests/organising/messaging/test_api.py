"""The REST API: timelines with a keyset cursor, posts and threads, reactions,
relays, boosts, reports, conversations, notifications; clear errors on bad input."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from federation.models import Audience
from members.services import token_create
from organising.messaging import services
from organising.messaging.models import Message, Post


def test_home_timeline_pages_with_a_cursor(people, post_as, api_as):
    for n in range(7):
        post_as(people.alice, f"p{n}")
    client = api_as(people.bob)
    first = client.get("/api/v1/timelines/home/?page_size=3").json()
    assert [p["body"] for p in first["results"]] == ["p6", "p5", "p4"]
    second = client.get(
        f"/api/v1/timelines/home/?page_size=3&cursor={first['next']}"
    ).json()
    assert [p["body"] for p in second["results"]] == ["p3", "p2", "p1"]
    third = client.get(
        f"/api/v1/timelines/home/?page_size=3&cursor={second['next']}"
    ).json()
    assert [p["body"] for p in third["results"]] == ["p0"] and third["next"] is None


def test_a_bad_cursor_is_400(people, api_as):
    response = api_as(people.bob).get("/api/v1/timelines/home/?cursor=zzz")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_bearer_token_reads_the_timeline(people, post_as, client):
    post_as(people.alice, "via token")
    _token, raw = token_create(user=people.bob, name="cli")
    response = client.get("/api/v1/timelines/home/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["results"][0]["body"] == "via token"


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/timelines/home/").status_code in (401, 403)


def test_create_post_and_read_its_thread(tree, people, api_as):
    client = api_as(people.alice)
    response = client.post(
        "/api/v1/posts/",
        {"body": "Hello #api", "audience": "unit", "audience_unit": tree.cell_a1x.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    post = response.json()
    assert post["unit"]["slug"] == tree.cell_a1x.slug and post["uri"].endswith(
        f"/posts/{post['id']}/"
    )
    reply = api_as(people.bob).post(
        "/api/v1/posts/", {"body": "Re", "parent": post["id"]}, format="json"
    )
    assert reply.status_code == 201
    thread = api_as(people.bob).get(f"/api/v1/posts/{post['id']}/").json()
    assert thread["root"]["id"] == post["id"]
    assert [r["body"] for r in thread["replies"]] == ["Re"]
    assert thread["root"]["reply_count"] == 1


def test_post_errors(tree, people, post_as, api_as):
    client = api_as(people.alice)
    forbidden = client.post(
        "/api/v1/posts/",
        {"body": "x", "audience": "unit_tree", "audience_unit": tree.national.pk},
        format="json",
    )
    assert forbidden.status_code == 403
    empty = client.post(
        "/api/v1/posts/", {"body": "", "audience": "party"}, format="json"
    )
    assert empty.status_code == 400 and "body" in empty.json()
    long = client.post(
        "/api/v1/posts/", {"body": "x" * 1001, "audience": "party"}, format="json"
    )
    assert long.status_code == 400
    script = client.post(
        "/api/v1/posts/",
        {"body": "<script>x</script>", "audience": "party"},
        format="json",
    )
    assert script.status_code == 400 and "body" in script.json()
    hidden_parent = post_as(people.carol, "carol's cell")
    reply = client.post(
        "/api/v1/posts/", {"body": "x", "parent": hidden_parent.pk}, format="json"
    )
    assert reply.status_code == 404
    assert Post.objects.count() == 1


def test_image_upload_checks(people, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = api_as(people.alice)
    data = io.BytesIO()
    Image.new("RGB", (4, 4)).save(data, format="PNG")
    good = SimpleUploadedFile("a.png", data.getvalue(), content_type="image/png")
    response = client.post(
        "/api/v1/posts/",
        {"body": "pic", "audience": "party", "images": [good]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["images"][0]["width"] == 4
    bad = SimpleUploadedFile("a.png", b"GIF89a not really", content_type="image/png")
    response = client.post(
        "/api/v1/posts/",
        {"body": "pic2", "audience": "party", "images": [bad]},
        format="multipart",
    )
    assert response.status_code == 400 and "images" in response.json()


def test_edit_delete_react_boost_report_hide(tree, people, post_as, api_as):
    post = post_as(people.alice, "api post", Audience.PARTY)
    alice, bob = api_as(people.alice), api_as(people.bob)
    assert (
        bob.patch(
            f"/api/v1/posts/{post.pk}/", {"body": "hack"}, format="json"
        ).status_code
        == 403
    )
    edited = alice.patch(
        f"/api/v1/posts/{post.pk}/", {"body": "api post!"}, format="json"
    ).json()
    assert edited["edited"] is True
    reacted = bob.post(
        f"/api/v1/posts/{post.pk}/reactions/", {"kind": "fist"}, format="json"
    ).json()
    assert reacted["reactions"] == {"fist": 1} and reacted["my_reactions"] == ["fist"]
    assert bob.delete(f"/api/v1/posts/{post.pk}/reactions/fist/").status_code == 204
    boost = bob.post(f"/api/v1/posts/{post.pk}/boost/")
    assert boost.status_code == 201 and boost.json()["shared"]["id"] == post.pk
    assert (
        bob.post(
            f"/api/v1/posts/{post.pk}/report/", {"reason": "spam"}, format="json"
        ).status_code
        == 201
    )
    assert (
        bob.post(
            f"/api/v1/posts/{post.pk}/hide/", {"reason": "no"}, format="json"
        ).status_code
        == 403
    )
    officer = api_as(people.officer)
    assert (
        officer.post(
            f"/api/v1/posts/{post.pk}/hide/", {"reason": "spam"}, format="json"
        ).status_code
        == 204
    )
    assert bob.get(f"/api/v1/posts/{post.pk}/").status_code == 404
    mine = alice.get(f"/api/v1/posts/{post.pk}/").json()
    assert mine["root"]["hidden_reason"] == "spam"
    assert alice.delete(f"/api/v1/posts/{post.pk}/").status_code == 204


def test_relay_through_the_api(tree, people, post_as, api_as):
    post = post_as(people.alice, "cell news")
    body = {"audience": "unit_tree", "audience_unit": tree.section_a1.pk}
    assert (
        api_as(people.bob)
        .post(f"/api/v1/posts/{post.pk}/relay/", body, format="json")
        .status_code
        == 403
    )
    response = api_as(people.officer).post(
        f"/api/v1/posts/{post.pk}/relay/", body, format="json"
    )
    assert response.status_code == 201
    assert response.json()["shared"]["author"]["display_name"] == "Alice Martin"
    home = api_as(people.carol).get("/api/v1/timelines/home/").json()["results"]
    assert home[0]["kind"] == "relay"


def test_follow_and_member_timeline(people, post_as, api_as):
    post_as(people.dan, "dan public", Audience.PUBLIC)
    client = api_as(people.alice)
    assert (
        client.post(
            "/api/v1/relations/",
            {"member": str(people.dan.public_id), "kind": "follow"},
            format="json",
        ).status_code
        == 204
    )
    assert (
        client.get("/api/v1/timelines/home/").json()["results"][0]["body"]
        == "dan public"
    )
    assert (
        client.get(f"/api/v1/timelines/members/{people.dan.public_id}/").json()[
            "results"
        ][0]["body"]
        == "dan public"
    )
    assert (
        client.delete(f"/api/v1/relations/follow/{people.dan.public_id}/").status_code
        == 204
    )


def test_group_timeline_needs_membership(people, health_group, post_as, api_as):
    post_as(people.alice, "group", Audience.GROUP, group=health_group)
    assert (
        api_as(people.bob)
        .get(f"/api/v1/timelines/groups/{health_group.slug}/")
        .status_code
        == 404
    )
    assert (
        len(
            api_as(people.erin)
            .get(f"/api/v1/timelines/groups/{health_group.slug}/")
            .json()["results"]
        )
        == 1
    )


def test_conversations_and_messages(people, api_as):
    alice = api_as(people.alice)
    response = alice.post(
        "/api/v1/conversations/",
        {"people": [str(people.bob.public_id)], "body": "hello"},
        format="json",
    )
    assert response.status_code == 201
    conversation_id = response.json()["id"]
    bob = api_as(people.bob)
    listed = bob.get("/api/v1/conversations/").json()["results"]
    assert listed[0]["unread"] == 1
    sent = bob.post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"body": "hi", "client_key": "a1"},
        format="json",
    )
    assert sent.status_code == 201
    bob.post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"body": "hi", "client_key": "a1"},
        format="json",
    )
    assert Message.objects.count() == 2
    messages = alice.get(f"/api/v1/conversations/{conversation_id}/messages/").json()[
        "results"
    ]
    assert [m["body"] for m in messages] == ["hello", "hi"]
    since = alice.get(
        f"/api/v1/conversations/{conversation_id}/messages/?since={messages[0]['id']}"
    ).json()
    assert [m["body"] for m in since["results"]] == ["hi"]
    assert bob.post(f"/api/v1/conversations/{conversation_id}/read/").status_code == 204
    assert bob.get("/api/v1/notifications/counts/").json() == {
        "notifications": 0,
        "messages": 0,
    }
    assert (
        api_as(people.carol)
        .get(f"/api/v1/conversations/{conversation_id}/")
        .status_code
        == 404
    )
    assert (
        bob.post(f"/api/v1/conversations/{conversation_id}/leave/").status_code == 204
    )
    assert bob.get(f"/api/v1/conversations/{conversation_id}/").status_code == 404


def test_conversation_with_unknown_member_is_400(people, api_as):
    import uuid

    response = api_as(people.alice).post(
        "/api/v1/conversations/",
        {"people": [str(uuid.uuid4())], "body": "x"},
        format="json",
    )
    assert response.status_code == 400


def test_notifications_api(people, post_as, api_as):
    services.handle_for(people.bob)
    post_as(people.alice, "hi @bob.durand")
    bob = api_as(people.bob)
    page = bob.get("/api/v1/notifications/").json()
    assert page["results"][0]["kind"] == "mention"
    assert (
        bob.post("/api/v1/notifications/read/", {}, format="json").json()[
            "notifications"
        ]
        == 0
    )
    assert bob.put(
        "/api/v1/notifications/settings/", {"email": "immediate"}, format="json"
    ).json() == {"email": "immediate"}
    assert (
        bob.put(
            "/api/v1/notifications/settings/", {"email": "hourly"}, format="json"
        ).status_code
        == 400
    )


def test_schema_lists_the_messaging_endpoints(api_as, people):
    schema = api_as(people.alice).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/timelines/home/",
        "/api/v1/posts/",
        "/api/v1/posts/{id}/relay/",
        "/api/v1/conversations/{id}/messages/",
        "/api/v1/notifications/",
    ):
        assert path in schema["paths"], path
