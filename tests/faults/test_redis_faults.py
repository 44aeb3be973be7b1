"""Redis misbehaves while an author deletes posts and a section secretary ends a
cell secretary's membership: after a stall, a restart from an old snapshot or an
eviction, every read path answers as PostgreSQL says (caches can only miss)."""

import datetime as dt

import pytest
from django.utils import timezone

from members.services import membership_end
from organising.messaging import services
from organising.messaging.selectors import Cursor

pytestmark = pytest.mark.django_db

GONE = ("Message bientôt supprimé", "Groupe : bientôt supprimé")


def _older() -> str:
    moment = timezone.now() + dt.timedelta(minutes=1)
    return Cursor(created=moment, id=10**12).encode()


def reader_pages(client, tree, world) -> dict[str, str]:
    """Every read path of the reader, as text (status checked)."""
    older = f"/timeline/?before={_older()}"
    pages = {
        "first page": client.get("/timeline/"),
        "older page": client.get(older),
        "fragment": client.get(older, headers={"HX-Request": "true"}),
        "unit timeline": client.get(f"/timeline/units/{tree.cell_a1x.slug}/"),
        "group timeline": client.get(f"/timeline/groups/{world.group.slug}/"),
        "permalink": client.get(f"/posts/{world.kept.pk}/"),
        "API list": client.get("/api/v1/timelines/home/"),
        "API group list": client.get(f"/api/v1/timelines/groups/{world.group.slug}/"),
        "API detail": client.get(f"/api/v1/posts/{world.kept.pk}/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in pages.items()}


def assert_reader_sees_the_database(client, tree, world, *, deleted: bool):
    pages = reader_pages(client, tree, world)
    for name, html in pages.items():
        kept = "Groupe : reste" if "group" in name else "Message qui reste"
        assert kept in html, name
        if name in {"permalink", "API detail"}:
            continue
        shown = [text for text in GONE if text in html]
        if deleted:
            assert not shown, f"{name} still shows {shown}"
    expected = 404 if deleted else 200
    for path in (
        f"/posts/{world.doomed.pk}/",
        f"/api/v1/posts/{world.doomed.pk}/",
        f"/api/v1/posts/{world.group_doomed.pk}/",
    ):
        assert client.get(path).status_code == expected, path


def assert_secretary_as_the_database_says(client, tree, world, *, ended: bool):
    """The cell's member list (e-mail addresses) and its cell-only post."""
    members = client.get(f"/units/{tree.cell_a1x.slug}/members/")
    post = client.get(f"/posts/{world.cell_only.pk}/")
    unit_page = client.get(f"/timeline/units/{tree.cell_a1x.slug}/")
    if ended:
        assert members.status_code == 404  # out of scope: unseen, as missing
        assert post.status_code == 404
        assert "Réservé à la cellule" not in unit_page.content.decode()
    else:
        assert members.status_code == 200
        assert world.cell_only.author.email in members.content.decode()
        assert post.status_code == 200
        assert "Réservé à la cellule" in unit_page.content.decode()


def warm(bob, secretary, tree, world, own_redis):
    for _ in range(2):  # built, then served from the cache
        assert_reader_sees_the_database(bob, tree, world, deleted=False)
        assert_secretary_as_the_database_says(secretary, tree, world, ended=False)
    assert own_redis.keys() > 10  # pages, cards, viewers, sessions are stored


def write(people, world, committed):
    with committed():
        services.post_delete(post=world.doomed, by=people.alice)
        services.post_delete(post=world.group_doomed, by=people.alice)
        membership_end(member=world.cell_secretary, by=world.section_secretary)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def readers(own_redis, people, world, client_as):
    """Bob (a reader of the cell) and the cell secretary, signed in."""
    return client_as(people.bob), client_as(world.cell_secretary)


def test_a_redis_stalled_during_the_writes(
    own_redis, tree, people, world, readers, client_as, committed
):
    bob, secretary = readers
    warm(bob, secretary, tree, world, own_redis)
    own_redis.pause()
    try:
        write(people, world, committed)
        # During the stall: every page answers (the cache skipped after one
        # timeout), from the database.
        assert_reader_sees_the_database(bob, tree, world, deleted=True)
    finally:
        own_redis.resume()
    assert_reader_sees_the_database(bob, tree, world, deleted=True)
    again = client_as(world.cell_secretary)  # signs in again
    assert_secretary_as_the_database_says(again, tree, world, ended=True)


def test_a_redis_restarted_from_a_snapshot_taken_before_the_writes(
    own_redis, tree, people, world, readers, client_as, committed
):
    bob, secretary = readers
    warm(bob, secretary, tree, world, own_redis)
    snapshot = own_redis.snapshot()
    write(people, world, committed)
    assert_reader_sees_the_database(bob, tree, world, deleted=True)
    own_redis.restart_from(snapshot)
    assert own_redis.keys() > 10  # the old pages and viewers are back
    assert_reader_sees_the_database(bob, tree, world, deleted=True)
    again = client_as(world.cell_secretary)
    assert_secretary_as_the_database_says(again, tree, world, ended=True)


def test_keys_evicted_after_the_writes(
    own_redis, tree, people, world, readers, client_as, committed
):
    bob, secretary = readers
    warm(bob, secretary, tree, world, own_redis)
    write(people, world, committed)
    for _ in range(3):
        assert own_redis.evict() > 0
        assert_reader_sees_the_database(bob, tree, world, deleted=True)
    again = client_as(world.cell_secretary)
    assert_secretary_as_the_database_says(again, tree, world, ended=True)


def test_a_logout_during_a_stall_sticks(own_redis, people, client_as):
    client = client_as(people.bob)
    assert client.get("/api/v1/me/").status_code == 200
    cookie = client.cookies["sessionid"].value
    own_redis.pause()
    try:
        client.post("/accounts/logout/")
    finally:
        own_redis.resume()
    client.cookies["sessionid"] = cookie  # the old cookie, kept by an attacker
    assert client.get("/api/v1/me/").status_code in {401, 403}


def test_with_redis_stalled_members_sign_in(own_redis, people, client):
    people.bob.set_password("a long enough passphrase")
    people.bob.save()
    own_redis.pause()
    try:
        response = client.post(
            "/accounts/login/",
            {"login": people.bob.email, "password": "a long enough passphrase"},
        )
        assert response.status_code == 302
        assert client.get("/timeline/").status_code == 200
    finally:
        own_redis.resume()
