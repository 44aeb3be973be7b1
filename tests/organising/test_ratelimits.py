"""A member or a bot cannot flood others: writes repeated at scale answer 429 with
Retry-After (a translated page, or JSON for the API), the limits hold across
processes (Redis) and keep working, in process, when Redis is down."""

import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection

from members.models import Role
from organising import ratelimits
from organising.messaging import services
from organising.messaging.models import (
    CONVERSATION_MAX_PEOPLE,
    Conversation,
    Notification,
    Participant,
    Post,
)

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)"
)
needs_postgresql = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL",
)


@pytest.fixture(autouse=True)
def fresh_counts():
    ratelimits.reset()
    yield
    ratelimits.reset()


@pytest.fixture
def alice(tree, make_member):
    return make_member(tree.cell_a1x, display_name="Alice Martin")


@pytest.fixture
def victim(tree, make_member):
    return make_member(tree.cell_a1x, display_name="Victor Victime")


def web_post(client, tree, body):
    return client.post(
        "/posts/new/", {"body": body, "audience": f"unit:{tree.cell_a1x.pk}"}
    )


def test_parse_rates():
    assert ratelimits.parse_rates("10/m, 100/h,5/2d") == [
        ratelimits.Rate(10, 60),
        ratelimits.Rate(100, 3600),
        ratelimits.Rate(5, 2 * 86400),
    ]
    assert ratelimits.parse_rates("") == []
    with pytest.raises(ValueError):
        ratelimits.parse_rates("ten per minute")


@pytest.mark.parametrize("value", ["ten", "10", "10/week", "10/m,lots"])
def test_a_bad_rate_setting_refuses_to_start(value):
    env = {**os.environ, "RATE_LIMIT_POST_NETWORK": value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "RATE_LIMIT_POST_NETWORK: write rates like 10/m,100/h" in result.stderr


def test_networks_group_addresses():
    assert ratelimits.network_of("192.0.2.17") == "192.0.2.0/24"
    assert ratelimits.network_of("2001:db8:1:2:3::9") == "2001:db8:1:2::/64"
    assert ratelimits.network_of("") == "unknown"


def test_posting_too_fast_answers_429_with_retry_after_and_a_page(
    tree, alice, client_as
):
    client = client_as(alice)
    answers = [web_post(client, tree, f"Message {n}").status_code for n in range(12)]
    assert answers[:10] == [302] * 10 and answers[10:] == [429, 429]
    refused = web_post(client, tree, "Encore")
    assert 1 <= int(refused["Retry-After"]) <= 120  # this minute and some of the next
    page = refused.content.decode()
    assert "too many times in a short time" in page and "<html" in page
    assert Post.objects.filter(author=alice).count() == 10


def test_the_page_is_translated(tree, alice, client_as, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": "1/m"}
    client = client_as(alice)
    web_post(client, tree, "Un")
    refused = client.post(
        "/posts/new/",
        {"body": "Deux", "audience": f"unit:{tree.cell_a1x.pk}"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 429
    assert "trop de fois en peu de temps" in refused.content.decode()


def test_four_clients_flooding_mentions_cannot_reach_the_victim_hundreds_of_times(
    tree, alice, victim, client_as
):
    handle = services.handle_for(victim).name
    clients = [client_as(alice) for _ in range(4)]
    codes = [
        web_post(client, tree, f"@{handle} flood {n} {i}").status_code
        for n in range(40)
        for i, client in enumerate(clients)
    ]
    assert codes.count(302) == 10 and codes.count(429) == 150
    assert Notification.objects.filter(recipient=victim).count() == 10


def test_api_answers_429_in_json_with_retry_after(tree, alice, api_as, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": "2/m"}
    client = api_as(alice)
    body = {"audience": "unit", "audience_unit": tree.cell_a1x.pk}
    codes = [
        client.post("/api/v1/posts/", {**body, "body": f"p{n}"}, format="json")
        for n in range(3)
    ]
    assert [c.status_code for c in codes] == [201, 201, 429]
    assert int(codes[2]["Retry-After"]) >= 1
    assert "detail" in codes[2].json()


def test_replies_reactions_and_messages_are_limited(
    tree, alice, victim, api_as, settings
):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "reply": "2/m",
        "reaction": "3/m",
        "message": "2/m",
    }
    post = services.post_create(
        author=victim, body="Root", audience="unit", audience_unit=tree.cell_a1x
    )
    client = api_as(alice)
    replies = [
        client.post("/api/v1/posts/", {"body": f"r{n}", "parent": post.pk}).status_code
        for n in range(3)
    ]
    assert replies == [201, 201, 429]
    reactions = [
        client.post(f"/api/v1/posts/{post.pk}/reactions/", {"kind": kind}).status_code
        for kind in ("like", "fist", "like", "fist")
    ]
    assert reactions == [200, 200, 200, 429]
    conversation = services.conversation_start(by=alice, people=[victim])
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    messages = [client.post(url, {"body": f"m{n}"}).status_code for n in range(3)]
    assert messages == [201, 201, 429]


def test_mentions_are_limited_by_people_notified(
    tree, alice, make_member, client_as, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "mention": "12/m"}
    people = [make_member(tree.cell_a1x) for _ in range(10)]
    handles = " ".join(f"@{services.handle_for(p).name}" for p in people)
    client = client_as(alice)
    assert web_post(client, tree, f"Un {handles}").status_code == 302
    assert web_post(client, tree, f"Deux {handles}").status_code == 429
    assert Notification.objects.filter(kind="mention").count() == 10


def test_invitations_are_limited(tree, make_member, client_as, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation": "2/h"}
    secretary = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])
    client = client_as(secretary)
    url = f"/units/{tree.cell_a1x.slug}/invite/"
    codes = [
        client.post(url, {"email": f"new{n}@example.org", "status": "adherent"})
        for n in range(3)
    ]
    assert [c.status_code for c in codes][2] == 429
    assert all(c.status_code in (200, 302) for c in codes[:2])


def test_a_network_is_limited_across_members(tree, make_member, client_as, settings):
    settings.RATE_LIMITS_NETWORK = {**settings.RATE_LIMITS_NETWORK, "post": "3/m"}
    bots = [client_as(make_member(tree.cell_a1x)) for _ in range(4)]
    codes = [web_post(bot, tree, "Achetez !").status_code for bot in bots]
    assert codes == [302, 302, 302, 429]
    other = client_as(make_member(tree.cell_a1x))
    elsewhere = other.post(
        "/posts/new/",
        {"body": "Bonjour", "audience": f"unit:{tree.cell_a1x.pk}"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert elsewhere.status_code == 302


def test_services_called_outside_a_request_are_not_limited(tree, alice):
    """The demo seeding, commands and tasks are not clients."""
    for n in range(15):
        services.post_create(
            author=alice, body=f"seed {n}", audience="unit", audience_unit=tree.cell_a1x
        )
    assert Post.objects.filter(author=alice).count() == 15


def test_with_redis_down_posting_works_and_limits_hold_in_process(
    tree, alice, client_as, redis_down
):
    client = client_as(alice)
    codes = [web_post(client, tree, f"Panne {n}").status_code for n in range(11)]
    assert codes == [302] * 10 + [429]


def test_a_member_refused_does_not_refuse_the_others(tree, alice, victim, client_as):
    client = client_as(alice)
    for n in range(11):
        web_post(client, tree, f"x{n}")
    assert web_post(client_as(victim), tree, "Moi aussi").status_code == 302


@needs_redis
def test_counts_hold_across_processes(alice):
    """Another process charged the member's posts: this one sees the count."""
    script = f"""
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "organising.settings")
django.setup()
from types import SimpleNamespace
from organising import ratelimits
member = SimpleNamespace(pk={alice.pk}, is_superuser=False)
with ratelimits.client_scope("203.0.113.5"):
    for _ in range(10):
        ratelimits.charge("post", member=member)
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=os.environ.copy())
    with (
        ratelimits.client_scope("203.0.113.5"),
        pytest.raises(ratelimits.RateLimited) as refused,
    ):
        ratelimits.charge("post", member=alice)
    assert refused.value.retry_after >= 1


# --- The mention cap counts over the post's life -----------------------------------


def test_editing_cannot_mention_more_than_ten_people_over_the_posts_life(
    tree, alice, make_member
):
    people = [make_member(tree.cell_a1x) for _ in range(40)]
    names = [services.handle_for(p).name for p in people]
    post = services.post_create(
        author=alice,
        body=" ".join(f"@{n}" for n in names[:10]),
        audience="unit",
        audience_unit=tree.cell_a1x,
    )
    for edit in range(1, 4):
        chunk = names[edit * 10 : edit * 10 + 10]
        services.post_edit(post=post, by=alice, body=" ".join(f"@{n}" for n in chunk))
    assert Notification.objects.filter(post=post, kind="mention").count() == 10


def test_an_edit_notifies_only_the_newly_mentioned(tree, alice, victim, make_member):
    other = make_member(tree.cell_a1x)
    post = services.post_create(
        author=alice,
        body=f"@{services.handle_for(victim).name}",
        audience="unit",
        audience_unit=tree.cell_a1x,
    )
    for body in ("Rien", f"@{victim.handle.name}", f"@{victim.handle.name} !"):
        services.post_edit(post=post, by=alice, body=body)
    services.post_edit(
        post=post,
        by=alice,
        body=f"@{victim.handle.name} @{services.handle_for(other).name}",
    )
    assert Notification.objects.filter(recipient=victim, post=post).count() == 1
    assert Notification.objects.filter(recipient=other, post=post).count() == 1


# --- The conversation cap holds against parallel adds -------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_adds_never_pass_the_conversation_cap(tree, make_member):
    owner = make_member(tree.cell_a1x)
    crowd = [make_member(tree.cell_a1x) for _ in range(39)]
    conversation = services.conversation_start(by=owner, people=crowd, title="AG")
    newcomers = [make_member(tree.cell_a1x) for _ in range(12)]
    barrier = threading.Barrier(len(newcomers))
    outcomes = []

    def add(person):
        try:
            barrier.wait()
            services.conversation_add(
                conversation=conversation, by=owner, people=[person]
            )
            outcomes.append("added")
        except Exception as error:  # noqa: BLE001 - the refusal is what we count
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(p,)) for p in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    present = Participant.objects.filter(
        conversation=conversation, left_at__isnull=True
    ).count()
    assert present == CONVERSATION_MAX_PEOPLE
    assert outcomes.count("added") == CONVERSATION_MAX_PEOPLE - 40
    assert Conversation.objects.get(pk=conversation.pk).is_group


def test_a_sliding_window_lets_no_burst_through_a_boundary():
    """10 in the last seconds of a minute and 10 in the first of the next would pass
    fixed windows; the previous minute still weighs almost fully."""
    rate = ratelimits.Rate(10, 60)
    assert ratelimits._wait(rate, 1, 10, elapsed=2) > 0
    assert ratelimits._wait(rate, 1, 10, elapsed=59) == 0
    assert ratelimits._wait(rate, 10, 0, elapsed=30) == 0
    assert 30 < ratelimits._wait(rate, 11, 0, elapsed=30) < 40
