"""Sessions are read from the cache and kept in the database (organising.sessions):
the cache speeds them up and is never needed."""

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


def test_a_cached_copy_outlives_a_failed_logout_for_minutes_at_most(
    member, client_as, monkeypatch
):
    kept = {}
    real_set = cache.set

    def recording_set(key, value, timeout=None, **kwargs):
        kept[key] = timeout
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    client_as(member).get("/timeline/")
    session_keys = [
        key for key in kept if key.startswith(sessions.cached_db.KEY_PREFIX)
    ]
    assert session_keys
    assert all(kept[key] <= sessions.CACHED_FOR for key in session_keys)


def test_with_redis_down_pages_answer_and_sign_ins_are_refused_clearly(
    member, client_as, client, redis_down
):
    assert client_as(member).get("/timeline/").status_code == 200
    member.set_password("a long enough passphrase")
    member.save()
    response = client.post(
        "/accounts/login/",
        {"login": member.email, "password": "a long enough passphrase"},
    )
    assert response.status_code == 429
    assert "Please wait a few minutes, then try again." in response.content.decode()
