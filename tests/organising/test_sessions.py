"""Sessions live in the database (organising.sessions): the cache keeps copies that
are checked against the member's sessions version, so a logout sticks even when the
cache missed it, and sign-in works with Redis down."""

from django.contrib.sessions.models import Session
from django.core.cache import cache

from organising import sessions


def test_a_signed_in_member_is_served_from_the_cached_session(
    member, client_as, django_assert_max_num_queries
):
    client = client_as(member)
    client.get("/timeline/")
    with django_assert_max_num_queries(20) as captured:
        client.get("/timeline/")
    assert not any(
        "django_session" in query["sql"] for query in captured.captured_queries
    )


def test_with_redis_down_sessions_live_in_the_database_alone(
    member, client, redis_down
):
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    assert Session.objects.count() == 1
    assert client.get("/timeline/").status_code == 200
    client.post("/accounts/logout/")
    assert Session.objects.count() == 0
    assert client.get("/timeline/").status_code == 302  # to the login page


def test_a_logout_the_cache_missed_still_sticks(member, client_as, monkeypatch):
    """Redis stalled during the logout: the copy of the session stays in the cache,
    the row is gone. The old cookie reads nothing any more."""
    client = client_as(member)
    assert client.get("/api/v1/me/").status_code == 200
    key = client.cookies["sessionid"].value
    copy = cache.get(sessions.KEY_PREFIX + key)
    assert copy is not None
    client.post("/accounts/logout/")
    cache.set(sessions.KEY_PREFIX + key, copy)  # the delete that was lost
    client.cookies["sessionid"] = key
    assert client.get("/api/v1/me/").status_code in {401, 403}
    assert client.get("/timeline/").status_code == 302


def test_a_logout_elsewhere_costs_other_browsers_one_check(
    member, client_as, django_assert_max_num_queries
):
    phone, laptop = client_as(member), client_as(member)
    phone.get("/timeline/")
    laptop.get("/timeline/")
    laptop.post("/accounts/logout/")
    with django_assert_max_num_queries(30) as first:
        assert phone.get("/timeline/").status_code == 200
    with django_assert_max_num_queries(30) as second:
        assert phone.get("/timeline/").status_code == 200
    checks = [
        sum("django_session" in query["sql"] for query in run.captured_queries)
        for run in (first, second)
    ]
    assert checks == [1, 0]


def test_with_redis_down_pages_answer_and_members_sign_in(
    member, client_as, client, redis_down
):
    assert client_as(member).get("/timeline/").status_code == 200
    member.set_password("a long enough passphrase")
    member.save()
    response = client.post(
        "/accounts/login/",
        {"login": member.email, "password": "a long enough passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/timeline/").status_code == 200
