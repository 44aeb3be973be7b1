"""The report pages keep what they show (figures, chart, breakdown) in the shared
cache under the unit's version, which the database bumps in the transaction of
every change to its totals or to who counts in its subtree: every change shows at
once, at every level, and a cache that fails is only a miss."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Role
from members.services import membership_end
from organising.dues import services

from .conftest import pay

LEVELS = ("national", "fed_a", "section_a1", "cell_a1x")
# Session, user, allauth, the policy's viewer, the unit, schedules, the key (version,
# children, levels), then the report when the cache misses (and the members of a
# cell: their rows are never cached).
NATIONAL_PAGE_QUERIES = 18
NATIONAL_PAGE_CACHED_QUERIES = 6
CELL_PAGE_QUERIES = 26


def figure(response, name: str) -> str:
    html = response.content.decode()
    found = re.search(rf'id="{name}">([^<]*)<', html)
    assert found, html[:2000]
    return found.group(1).replace("\u00a0", " ").replace("\u202f", " ")


def report(client, unit):
    response = client.get(reverse("dues:report", args=[unit.slug]))
    assert response.status_code == 200
    return response


@pytest.fixture
def world(tree, schedule, make_member, national_treasurer):
    payer = make_member(tree.cell_a1x, display_name="Paula Payeuse")
    late = make_member(tree.cell_a1x, display_name="Luc Retard")
    services.charges_issue()
    return payer, late


def test_every_level_shows_a_payment_recorded_after_its_page_was_cached(
    tree, world, national_treasurer, client_as, key
):
    payer, _late = world
    client = client_as(national_treasurer)
    before = {
        name: figure(report(client, getattr(tree, name)), "collected")
        for name in LEVELS
    }
    assert set(before.values()) == {"0.00 €"}
    pay(payer, national_treasurer, key(), amount=1234)
    after = {
        name: figure(report(client, getattr(tree, name)), "collected")
        for name in LEVELS
    }
    assert set(after.values()) == {"12.34 €"}
    # Another section's cached page stays as it was (its version did not move).
    assert figure(report(client, tree.section_a2), "collected") == "0.00 €"


def test_the_members_counted_follow_a_membership_ended(
    tree, world, national_treasurer, cell_secretary_of_a1x, client_as
):
    _payer, late = world
    client = client_as(national_treasurer)
    before = members_counted(report(client, tree.national))
    membership_end(member=late, by=cell_secretary_of_a1x)
    assert members_counted(report(client, tree.national)) == before - 1
    assert members_counted(report(client, tree.cell_a1x)) == 2 - 1


def members_counted(response) -> int:
    found = re.search(r"of (\d+) members up to date", response.content.decode())
    assert found
    return int(found.group(1))


@pytest.fixture
def cell_secretary_of_a1x(tree, make_member):
    return make_member(tree.cell_a1y, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])


def test_a_child_renamed_shows_at_once(tree, world, national_treasurer, client_as):
    client = client_as(national_treasurer)
    assert "Fédération A" in report(client, tree.national).content.decode()
    tree.fed_a.name = "Fédération Auvergne"
    tree.fed_a.save(update_fields=["name"])
    assert "Fédération Auvergne" in report(client, tree.national).content.decode()


def test_a_level_renamed_shows_at_once(tree, world, national_treasurer, client_as):
    """Level names are data: the breakdown's heading and the shares name them."""
    from federation.models import Level

    client = client_as(national_treasurer)
    assert "Région" not in report(client, tree.national).content.decode()
    level = Level.objects.get(depth=1)
    level.name = "Région"  # the shares say it (the heading says the plural)
    level.save(update_fields=["name"])
    assert "Région ·" in report(client, tree.national).content.decode()
    level.plural = "Régions"
    level.save(update_fields=["plural"])
    assert "By régions" in report(client, tree.national).content.decode()


def test_a_cached_page_is_the_page_computed_afresh(
    tree, world, national_treasurer, client_as
):
    from django.core.cache import cache

    client = client_as(national_treasurer)
    for unit in (tree.national, tree.cell_a1x):
        cache.clear()
        fresh = report(client, unit).content.decode()
        again = report(client, unit).content.decode()
        # Each page has its own CSRF token and CSP nonce.
        varies = re.compile(
            r'(csrfmiddlewaretoken" value=|nonce=|X-CSRFToken": )"[^"]+"'
        )
        assert varies.sub("", fresh) == varies.sub("", again)


def test_the_report_pages_run_a_bounded_number_of_queries(
    tree, world, national_treasurer, client_as, django_assert_max_num_queries
):
    """Cached, a page reads the versions and not the totals; computed, a bounded
    number of queries whatever the number of units."""
    from django.core.cache import cache

    client = client_as(national_treasurer)
    report(client, tree.national)  # sessions, translations
    cache.clear()
    with django_assert_max_num_queries(NATIONAL_PAGE_QUERIES):
        report(client, tree.national)
    with CaptureQueriesContext(connection) as hit:
        report(client, tree.national)
    assert len(hit.captured_queries) <= NATIONAL_PAGE_CACHED_QUERIES
    assert not any("dues_unitperiodtotal" in q["sql"] for q in hit.captured_queries)
    cache.clear()
    with django_assert_max_num_queries(CELL_PAGE_QUERIES):
        page = report(client, tree.cell_a1x)
    assert "Paula Payeuse" in page.content.decode()


def test_with_the_cache_unreachable_the_pages_answer(
    tree, world, national_treasurer, client_as, settings, key
):
    payer, _late = world
    settings.CACHES = {
        "default": {
            "BACKEND": "organising.cached.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # discard port: refused at once
            "OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05},
        }
    }
    client = client_as(national_treasurer)
    assert figure(report(client, tree.national), "collected") == "0.00 €"
    pay(payer, national_treasurer, key(), amount=500)
    assert figure(report(client, tree.national), "collected") == "5.00 €"
