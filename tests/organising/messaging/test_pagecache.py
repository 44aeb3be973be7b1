"""The stored home page: served again while nothing it shows has changed, built again
from the database as soon as something has (once the change commits), with the
per-request parts (CSRF token, CSP nonce, unread badges, flash messages) always
fresh, and never in the way when the cache is down."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from federation.models import Audience
from organising.messaging import services
from organising.messaging.selectors import Cursor

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(client_as):
    """home(user) -> the HTML of the user's home page (one client per member)."""
    clients = {}

    def read(user) -> str:
        if user.pk not in clients:
            clients[user.pk] = client_as(user)
        response = clients[user.pk].get("/timeline/")
        assert response.status_code == 200
        return response.content.decode()

    return read


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what waits for the commit, as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_second_read_is_served_from_the_store(
    people, post_as, home, client_as, django_assert_max_num_queries
):
    post_as(people.alice, "Réunion jeudi")
    client = client_as(people.bob)
    client.get("/timeline/")
    # The user (the session is read from the cache) and the page's stamps, from
    # PostgreSQL: no timeline, viewer or unread-count query.
    with django_assert_max_num_queries(2):
        response = client.get("/timeline/")
    assert "Réunion jeudi" in response.content.decode()


def test_a_new_post_in_the_cell_shows_at_the_next_read(
    people, post_as, home, committed
):
    assert "Réunion jeudi" not in home(people.bob)
    with committed():
        post_as(people.alice, "Réunion jeudi")
    assert "Réunion jeudi" in home(people.bob)


def test_a_post_from_above_and_from_a_followed_member_show(
    tree, people, post_as, home, committed
):
    home(people.bob)
    with committed():
        post_as(people.fed_secretary, "Congrès fédéral", Audience.UNIT_TREE, tree.fed_a)
        post_as(people.erin, "Tribune publique", Audience.PUBLIC)
    page = home(people.bob)
    assert "Congrès fédéral" in page
    assert "Tribune publique" not in page  # Erin is not followed yet
    with committed():
        services.relation_set(owner=people.bob, target=people.erin, kind="follow")
    assert "Tribune publique" in home(people.bob)


def test_a_hidden_post_disappears_and_a_reaction_counts(
    tree, people, post_as, home, committed
):
    with committed():
        post = post_as(people.alice, "Message douteux")
    assert "Message douteux" in home(people.bob)
    with committed():
        services.post_react(post=post, by=people.officer, kind="like")
    assert _likes(home(people.bob), post) == 1
    with committed():
        services.post_hide(post=post, by=people.officer, reason="Hors sujet")
    assert "Message douteux" not in home(people.bob)


def _likes(page: str, post) -> int:
    card = page[page.index(f'id="post-{post.pk}"') :]
    button = re.search(r'value="like\.[01]".*?</button>', card).group(0)
    found = re.search(r'<span class="count">(\d+)<', button)
    return int(found.group(1)) if found else 0


def test_a_storm_of_reactions_rebuilds_other_pages_once_per_window(
    tree, people, post_as, home, committed, client_as, django_assert_max_num_queries
):
    """Each reactor sees their reaction at once; others see the counts of the first
    reaction of a window at once, later ones at the end of the window (a Celery
    task; eager here, so it runs at the first reaction held back)."""
    with committed():
        post = post_as(
            people.officer, "Pétition : signez !", Audience.UNIT_TREE, tree.section_a1
        )
    home(people.bob)
    with committed():
        services.post_react(post=post, by=people.alice, kind="like")
    assert _likes(home(people.bob), post) == 1
    with committed():
        services.post_react(post=post, by=people.officer, kind="like")
    assert _likes(home(people.bob), post) == 2  # the end-of-window task
    with committed():
        services.post_react(post=post, by=people.carol, kind="like")
    bob = client_as(people.bob)
    # Bob's page is not built again (the user, the new client's session checked
    # once, the stamps)...
    with django_assert_max_num_queries(3):
        stale = bob.get("/timeline/").content.decode()
    assert _likes(stale, post) == 2
    mine = re.compile(r'value="like\.0" class="reaction mine" aria-pressed="true"')
    assert mine.search(home(people.carol))  # ...the reactor's is
    cache.delete_many([f"tl:rx:{post.pk}", f"tl:rx-late:{post.pk}"])  # window over
    with committed():
        services.post_react(post=post, by=people.officer, kind="like", on=False)
    assert _likes(home(people.bob), post) == 2  # Alice's and Carol's


def test_a_reply_updates_the_reply_count_of_the_card(people, post_as, home, committed):
    with committed():
        post = post_as(people.alice, "Qui vient ?")
    home(people.bob)
    with committed():
        services.post_create(author=people.officer, body="Moi", parent=post)
    assert "Reply (1)" in home(people.bob)


def test_blocking_a_member_removes_their_posts_from_the_stored_page(
    people, post_as, home, committed
):
    with committed():
        post_as(people.alice, "Bonjour la cellule")
    assert "Bonjour la cellule" in home(people.bob)
    with committed():
        services.relation_set(owner=people.bob, target=people.alice, kind="block")
    assert "Bonjour la cellule" not in home(people.bob)


def test_a_new_office_shows_in_the_stored_page(tree, people, home, committed):
    from members.models import Role

    assert "Administration" not in home(people.bob)
    with committed():
        Role.objects.create(user=people.bob, unit=tree.cell_a1x, kind="secretary")
    assert "Administration" in home(people.bob)


def test_a_renamed_author_shows_under_the_new_name(people, post_as, home, committed):
    with committed():
        post_as(people.alice, "Bonjour")
    assert "Alice Martin" in home(people.bob)
    with committed():
        people.alice.display_name = "Alice Martin-Roux"
        people.alice.save()
    assert "Alice Martin-Roux" in home(people.bob)


def test_the_stored_page_carries_a_valid_csrf_token_and_the_requests_nonce(
    tree, people, post_as
):
    post_as(people.alice, "Bonjour")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.bob, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/timeline/")
    response = client.get("/timeline/")  # from the store
    html = response.content.decode()
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    posted = client.post(
        "/posts/new/",
        {
            "csrfmiddlewaretoken": token,
            "body": "Depuis la page gardée",
            "audience": f"unit:{tree.cell_a1x.pk}",
        },
    )
    assert posted.status_code == 302


def test_unread_badges_are_fresh_on_a_stored_page(people, post_as, home, committed):
    with committed():
        post = post_as(people.bob, "Mon message")
    assert 'data-live-count="notifications" hidden' in home(people.bob)
    with committed():
        services.post_create(author=people.alice, body="Réponse", parent=post)
    page = home(people.bob)
    assert re.search(
        r'data-live-count="notifications"><span class="visually-hidden">[^<]*</span>1<',
        page,
    )


def test_a_flash_message_is_shown_once_even_on_a_stored_page(tree, people, client_as):
    client = client_as(people.alice)
    client.get("/timeline/")
    response = client.post(
        "/posts/new/",
        {"body": "Avec message", "audience": f"unit:{tree.cell_a1x.pk}"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("/timeline/")
    assert 'class="flash"' in response.content.decode()
    assert 'class="flash"' not in client.get("/timeline/").content.decode()


def test_with_redis_down_the_page_comes_from_the_database(
    people, post_as, home, redis_down
):
    post_as(people.alice, "Toujours là")
    assert "Toujours là" in home(people.bob)
    assert "Toujours là" in home(people.bob)


def test_a_card_rendered_once_shows_each_reader_their_own_reactions(
    tree, people, post_as, client_as
):
    post = post_as(people.officer, "Tract", Audience.UNIT_TREE, tree.section_a1)
    services.post_react(post=post, by=people.bob, kind="love")
    unit_page = f"/timeline/units/{tree.section_a1.slug}/"
    alice_page = client_as(people.alice).get(unit_page).content.decode()
    bob_page = client_as(people.bob).get(unit_page).content.decode()
    mine = re.compile(r'value="love\.0" class="reaction mine" aria-pressed="true"')
    assert mine.search(bob_page)
    assert not mine.search(alice_page)
    assert 'value="love.1"' in alice_page


def test_an_edited_post_shows_its_new_text_on_every_page(
    tree, people, post_as, client_as
):
    post = post_as(people.alice, "Premier jet")
    client = client_as(people.bob)
    cell_page = f"/timeline/units/{tree.cell_a1x.slug}/"  # not a stored page
    assert "Premier jet" in client.get(cell_page).content.decode()
    services.post_edit(post=post, by=people.alice, body="Version corrigée")
    page = client.get(cell_page).content.decode()
    assert "Version corrigée" in page
    assert "Premier jet" not in page


def _older_than_now() -> str:
    """The `before` of a page older than now: it shows every post made so far."""
    moment = timezone.now() + dt.timedelta(minutes=1)
    return Cursor(created=moment, id=10**12).encode()


def test_an_older_page_and_its_fragment_are_served_again_from_the_store(
    people, post_as, client_as, django_assert_max_num_queries
):
    post_as(people.alice, "Compte rendu de mars")
    older = f"/timeline/?before={_older_than_now()}"
    client = client_as(people.bob)
    client.get(older)
    client.get(older, headers={"HX-Request": "true"})
    with django_assert_max_num_queries(2):  # the user and the stamps, as the first
        whole = client.get(older).content.decode()
    with django_assert_max_num_queries(2):
        fragment = client.get(older, headers={"HX-Request": "true"}).content.decode()
    assert "Compte rendu de mars" in whole and "Compte rendu de mars" in fragment
    assert "<html" in whole and "<html" not in fragment


def test_a_post_hidden_on_an_older_page_disappears_at_the_next_read(
    people, post_as, client_as, committed
):
    with committed():
        post = post_as(people.alice, "Vieux message douteux")
    older = f"/timeline/?before={_older_than_now()}"
    client = client_as(people.bob)
    assert "Vieux message douteux" in client.get(older).content.decode()
    with committed():
        services.post_hide(post=post, by=people.officer, reason="Hors sujet")
    assert "Vieux message douteux" not in client.get(older).content.decode()


def test_an_older_page_with_another_parameter_is_not_stored(people, post_as, client_as):
    client = client_as(people.bob)
    older = f"/timeline/?before={_older_than_now()}&utm=lettre"
    client.get(older)
    post_as(people.alice, "Arrivé entre deux lectures")  # no commit: no stamp moves
    assert "Arrivé entre deux lectures" in client.get(older).content.decode()


def test_a_profile_save_rebuilds_only_the_pages_that_show_a_new_name(
    people, post_as, client_as, committed, django_assert_max_num_queries
):
    """Every profile save sends display_name: only a real change of a name shown on
    the page builds it again."""
    with committed():
        post_as(people.alice, "Bonjour")
    bob = client_as(people.bob)
    bob.get("/timeline/")
    bob.get("/timeline/")
    with committed():
        people.alice.save()  # the profile form, name unchanged
        people.erin.display_name = "Erin Leroy-Blanc"  # not on Bob's page
        people.erin.save()
    with django_assert_max_num_queries(2):  # the user and the stamps: stored
        assert "Alice Martin" in bob.get("/timeline/").content.decode()
    with committed():
        people.alice.display_name = "Alice Martin-Roux"
        people.alice.save()
    assert "Alice Martin-Roux" in bob.get("/timeline/").content.decode()
