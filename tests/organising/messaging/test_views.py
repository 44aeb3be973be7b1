"""The web pages: timelines with keyset pagination and a bounded query count, the
composer (with and without htmx), threads and the moderation pages."""

import pytest
from django.core.cache import cache

from federation.models import Audience
from organising.messaging import services
from organising.messaging.models import Post

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def busy_timeline(tree, people, post_as, health_group):
    """Posts of every kind in Bob's home timeline, with reactions, replies, relays."""

    def fill(count: int):
        services.relation_set(owner=people.bob, target=people.dan, kind="follow")
        for n in range(count):
            post = post_as(people.alice, f"cell post {n}")
            services.post_react(post=post, by=people.bob, kind="like")
            post_as(
                people.officer, f"section post {n}", Audience.UNIT_TREE, tree.section_a1
            )
            post_as(people.dan, f"public post {n}", Audience.PUBLIC)
            services.post_create(author=people.bob, body=f"reply {n}", parent=post)
        cell_post = Post.objects.filter(body="cell post 0").first()
        services.post_relay(
            post=cell_post,
            by=people.officer,
            audience=Audience.UNIT_TREE,
            audience_unit=tree.section_a1,
        )
        services.relation_set(
            owner=people.bob, target=people.fed_secretary, kind="follow"
        )
        public_post = Post.objects.filter(body="public post 0").first()
        services.post_boost(post=public_post, by=people.fed_secretary)

    return fill


def query_count(client, url, django_assert_max_num_queries, limit):
    client.get(url)  # the session's first request records it (allauth usersessions)
    cache.clear()  # measure the page built from the database, not a stored one
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_home_timeline_query_count_does_not_grow_with_the_page(
    people, busy_timeline, client_as, django_assert_max_num_queries
):
    client = client_as(people.bob)
    busy_timeline(2)
    small = query_count(client, "/timeline/", django_assert_max_num_queries, 17)
    busy_timeline(12)
    big = query_count(client, "/timeline/", django_assert_max_num_queries, 17)
    assert big == small


@pytest.mark.parametrize("url", ["/timeline/public/", "/notifications/", "/messages/"])
def test_other_lists_have_bounded_query_counts(
    url, people, busy_timeline, client_as, django_assert_max_num_queries
):
    busy_timeline(12)
    query_count(client_as(people.bob), url, django_assert_max_num_queries, 17)


def test_unit_timeline_query_count(
    tree, people, busy_timeline, client_as, django_assert_max_num_queries
):
    busy_timeline(12)
    query_count(
        client_as(people.bob),
        f"/timeline/units/{tree.section_a1.slug}/",
        django_assert_max_num_queries,
        19,
    )


def test_thread_query_count_does_not_grow_with_replies(
    people, post_as, client_as, django_assert_max_num_queries
):
    root = post_as(people.alice, "root")
    client = client_as(people.bob)
    services.post_create(author=people.bob, body="r0", parent=root)
    small = query_count(client, f"/posts/{root.pk}/", django_assert_max_num_queries, 20)
    for n in range(15):
        services.post_create(author=people.bob, body=f"r{n + 1}", parent=root)
    big = query_count(client, f"/posts/{root.pk}/", django_assert_max_num_queries, 20)
    assert big == small


def test_older_link_pages_by_keyset_without_overlap(people, post_as, client_as):
    for n in range(65):
        post_as(people.alice, f"post number {n:02d}")
    client = client_as(people.bob)
    seen = []
    url = "/timeline/"
    while url:
        response = client.get(url, **(HTMX if seen else {}))
        html = response.content.decode()
        seen += [int(chunk[:2]) for chunk in html.split("post number ")[1:]]
        marker = 'href="?before='
        url = (
            "/timeline/?before=" + html.split(marker)[1].split('"')[0]
            if marker in html
            else None
        )
    assert seen == list(range(64, -1, -1))


def test_a_bad_cursor_is_404(people, client_as):
    assert client_as(people.bob).get("/timeline/?before=!!!").status_code == 404


def test_composer_posts_without_javascript(tree, people, client_as):
    client = client_as(people.alice)
    page = client.get("/timeline/").content.decode()
    assert f'value="unit:{tree.cell_a1x.pk}"' in page
    assert f"unit_tree:{tree.section_a1.pk}" not in page  # no office there
    response = client.post(
        "/posts/new/", {"body": "Hello cell", "audience": f"unit:{tree.cell_a1x.pk}"}
    )
    assert response.status_code == 302
    assert Post.objects.get().body == "Hello cell"


def test_composer_with_htmx_returns_the_form_and_the_new_post(tree, people, client_as):
    response = client_as(people.alice).post(
        "/posts/new/",
        {"body": "Via htmx", "audience": f"unit:{tree.cell_a1x.pk}"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'id="composer"' in html
        and 'id="composer-new-post"' in html
        and "Via htmx" in html
    )


def test_composer_refuses_an_audience_one_may_not_address(tree, people, client_as):
    response = client_as(people.alice).post(
        "/posts/new/", {"body": "x", "audience": f"unit_tree:{tree.national.pk}"}
    )
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_composer_shows_errors(tree, people, client_as):
    response = client_as(people.alice).post(
        "/posts/new/",
        {"body": "<script>x</script>", "audience": f"unit:{tree.cell_a1x.pk}"},
    )
    assert response.status_code == 400
    assert "plain text" in response.content.decode()


def test_reacting_with_htmx_returns_the_reaction_bar(people, post_as, client_as):
    post = post_as(people.alice, "react")
    response = client_as(people.bob).post(
        f"/posts/{post.pk}/react/", {"reaction": "love.1"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<form class="reactions"')
    assert 'aria-pressed="true"' in html


def test_reply_edit_delete_report_hide_pages(people, post_as, client_as):
    post = post_as(people.alice, "thread root")
    bob = client_as(people.bob)
    assert bob.post(f"/posts/{post.pk}/reply/", {"body": "a reply"}).status_code == 302
    alice = client_as(people.alice)
    assert alice.get(f"/posts/{post.pk}/edit/").status_code == 200
    assert (
        alice.post(f"/posts/{post.pk}/edit/", {"body": "thread root!"}).status_code
        == 302
    )
    assert bob.get(f"/posts/{post.pk}/edit/").status_code == 403
    assert bob.post(f"/posts/{post.pk}/report/", {"reason": "spam"}).status_code == 302
    officer = client_as(people.officer)
    reports = officer.get("/posts/reports/").content.decode()
    assert "spam" in reports
    assert bob.get(f"/posts/{post.pk}/hide/").status_code == 403
    assert (
        officer.post(f"/posts/{post.pk}/hide/", {"reason": "off topic"}).status_code
        == 302
    )
    assert alice.post(f"/posts/{post.pk}/delete/").status_code == 302
    assert Post.objects.get(pk=post.pk).deleted_at is not None


def test_relay_page_for_officers_only(tree, people, post_as, client_as):
    post = post_as(people.alice, "to relay")
    assert client_as(people.bob).get(f"/posts/{post.pk}/relay/").status_code == 403
    officer = client_as(people.officer)
    page = officer.get(f"/posts/{post.pk}/relay/").content.decode()
    assert f"unit_tree:{tree.section_a1.pk}" in page
    response = officer.post(
        f"/posts/{post.pk}/relay/", {"audience": f"unit_tree:{tree.section_a1.pk}"}
    )
    assert response.status_code == 302
    assert Post.objects.filter(kind="relay").count() == 1


def test_member_page_follow_mute_block(people, client_as):
    client = client_as(people.alice)
    url = f"/timeline/people/{people.dan.public_id}/"
    assert client.get(url).status_code == 200
    client.post(f"{url}relation/", {"kind": "follow", "on": "1"})
    assert people.alice.relations.filter(kind="follow", target=people.dan).exists()
    client.post(f"{url}relation/", {"kind": "follow", "on": "0"})
    assert not people.alice.relations.exists()
    assert client_as(people.former).get(url).status_code == 404


def test_hashtag_page(people, post_as, client_as):
    post_as(people.alice, "on #strike today")
    post_as(people.alice, "nothing")
    page = client_as(people.bob).get("/timeline/tags/strike/").content.decode()
    assert "on " in page and "nothing" not in page


def test_pages_fit_a_phone(people, client_as):
    page = client_as(people.bob).get("/timeline/").content.decode()
    assert 'name="viewport"' in page and "messaging.css" in page
    assert "style=" not in page.split("<body")[1]


def test_the_composer_speaks_the_readers_language(people, client_as):
    client = client_as(people.alice)
    english = client.get("/timeline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Images (up to 4)" in english
    client.cookies["django_language"] = "fr"
    french = client.get("/timeline/").content.decode()
    assert "Images (4 au maximum)" in french


def test_a_boost_is_taken_back_from_the_post_page(people, post_as, client_as):
    post = post_as(people.dan, "Pétition en ligne", Audience.PUBLIC)
    client = client_as(people.bob)
    assert "Take back my boost" not in client.get(f"/posts/{post.pk}/").content.decode()
    client.post(f"/posts/{post.pk}/boost/", {"on": "1"})
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "Take back my boost" in page
    client.post(f"/posts/{post.pk}/boost/", {"on": "0"})
    assert not Post.objects.filter(
        kind=Post.Kind.BOOST, author=people.bob, deleted_at__isnull=True
    ).exists()
    assert "Take back my boost" not in client.get(f"/posts/{post.pk}/").content.decode()
