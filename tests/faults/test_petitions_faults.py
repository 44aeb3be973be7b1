# ruff: noqa: F811 - the petitions fixtures are imported, then asked for by name
"""Redis misbehaves while a petition is edited, signed and a signature withdrawn:
after a stall, a restart from an old snapshot or an eviction, its public page, its
count and its list of signers answer as PostgreSQL says (caches can only miss)."""

import pytest

from organising.petitions import services
from tests.organising.petitions.conftest import (  # noqa: F401
    confirm,
    fresh_limits,
    make_petition,
    petition,
    section_officer,
    sign,
    territories,
)

pytestmark = pytest.mark.django_db


def pages(client, petition) -> dict[str, str]:
    base = f"/petitions/{petition.slug}/"
    found = {
        "page": client.get(base),
        "count": client.get(base + "count/"),
        "signers": client.get(base + "signers/"),
        "API": client.get(f"/api/v1/petitions/{petition.slug}/"),
    }
    for name, response in found.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in found.items()}


def assert_as_the_database_says(client, petition, *, title, count, shown, hidden):
    found = pages(client, petition)
    assert title in found["page"]
    assert f'<strong class="petition-number">{count}</strong>' in found["page"]
    assert f'<strong class="petition-number">{count}</strong>' in found["count"]
    assert f'"signature_count":{count}' in found["API"]
    for name in shown:
        assert name in found["signers"]
    for name in hidden:
        assert name not in found["signers"], name


@pytest.fixture
def warm(own_redis, client, petition, sign, confirm):
    """Anne signed and is shown; the page and the list are stored in Redis."""
    anne = sign(petition, "anne@example.org", first_name="Anne", show_publicly=True)
    confirm(anne)
    for _ in range(2):
        assert_as_the_database_says(
            client, petition, title="Sauvons", count=1, shown=["Anne"], hidden=[]
        )
    assert own_redis.keys() >= 2
    return anne


def change(petition, section_secretary, sign, confirm, anne):
    """A new title, Bruno signs (shown), Anne withdraws."""
    services.petition_edit(
        petition=petition, by=section_secretary, title="Le bus 9 doit rester"
    )
    confirm(sign(petition, "bruno@example.org", first_name="Bruno", show_publicly=True))
    confirm(sign(petition, "chloe@example.org", first_name="Chloé"))
    services.signature_withdraw(token=anne)


AFTER = {
    "title": "Le bus 9 doit rester",
    "count": 2,
    "shown": ["Bruno"],
    "hidden": ["Anne", "Chloé"],
}


def test_a_redis_stalled_during_the_changes(
    own_redis, warm, client, petition, section_secretary, sign, confirm
):
    own_redis.pause()
    try:
        change(petition, section_secretary, sign, confirm, warm)
        assert_as_the_database_says(client, petition, **AFTER)
    finally:
        own_redis.resume()
    assert_as_the_database_says(client, petition, **AFTER)


def test_a_redis_restarted_from_an_old_snapshot(
    own_redis, warm, client, petition, section_secretary, sign, confirm
):
    old = own_redis.snapshot()
    change(petition, section_secretary, sign, confirm, warm)
    assert_as_the_database_says(client, petition, **AFTER)
    own_redis.restart_from(old)  # holds the page and list from before the changes
    assert own_redis.keys() >= 2
    assert_as_the_database_says(client, petition, **AFTER)


def test_keys_evicted(
    own_redis, warm, client, petition, section_secretary, sign, confirm
):
    change(petition, section_secretary, sign, confirm, warm)
    assert_as_the_database_says(client, petition, **AFTER)
    assert own_redis.evict(share=2) >= 1
    assert_as_the_database_says(client, petition, **AFTER)
    own_redis.evict(share=1)
    assert_as_the_database_says(client, petition, **AFTER)
