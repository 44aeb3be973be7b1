"""Events near me: public and party events by nearness of their units' communes to
my cell's (my commune, my département, elsewhere), a list without JavaScript, and a
map only when a tile server is configured (the CSP then allows that host only)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from federation.models import Territory
from members.models import Role
from organising.settings import map_tiles_source

from .conftest import paris

NEAR = reverse("agenda:near")


@pytest.fixture
def places(tree, make_member, make_event, cell_secretary):
    Territory.objects.create(unit=tree.cell_a1x, commune="Lyon 1er", postcode="69001")
    Territory.objects.create(unit=tree.section_a1, commune="Lyon 2e", postcode="69002")
    Territory.objects.create(unit=tree.fed_b, commune="Marseille", postcode="13001")
    section = make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)])
    fed_b = make_member(tree.cell_b1x, roles=[(tree.fed_b, Role.Kind.SECRETARY)])
    sibling = make_member(tree.cell_a1y, roles=[(tree.cell_a1y, Role.Kind.SECRETARY)])
    when = {"starts_at": paris(2026, 12, 20, 10), "ends_at": paris(2026, 12, 20, 12)}
    make_event(
        title="Marché du 1er",
        audience="public",
        latitude=Decimal("45.76734"),
        longitude=Decimal("4.83422"),
        **when,
    )
    make_event(
        agenda=tree.section_a1,
        by=section,
        title="Fête de section",
        audience="party",
        **when,
    )
    make_event(
        agenda=tree.fed_b,
        by=fed_b,
        title="Meeting à Marseille",
        audience="public",
        **when,
    )
    make_event(agenda=tree.cell_a1y, by=sibling, title="Réunion voisine", **when)


def test_nearest_first_and_only_public_or_party(places, member, client_as):
    page = client_as(member).get(NEAR).content.decode()
    here = page.index("Marché du 1er")
    departement = page.index("Fête de section")
    elsewhere = page.index("Meeting à Marseille")
    assert here < departement < elsewhere
    assert page.index("In my commune") < here
    assert "Réunion voisine" not in page  # for that cell alone
    assert "Lyon 1er (69001)" in page


def test_no_tiles_no_map(places, member, client_as, settings):
    settings.MAP_TILES_URL = ""
    response = client_as(member).get(NEAR)
    page = response.content.decode()
    assert 'id="near-map"' not in page and "leaflet" not in page
    assert "tile" not in response.headers.get("Content-Security-Policy", "")


def test_a_map_with_the_configured_tiles(places, member, client_as, settings):
    settings.MAP_TILES_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "img-src": [
            *settings.SECURE_CSP["img-src"],
            map_tiles_source(settings.MAP_TILES_URL),
        ],
    }
    response = client_as(member).get(NEAR)
    page = response.content.decode()
    assert 'id="near-map"' in page and "vendor/leaflet/leaflet" in page
    assert '"lat": 45.76734' in page and "Marché du 1er" in page
    assert "https://*.tile.example.org" in response.headers["Content-Security-Policy"]


def test_tile_urls_are_checked():
    assert map_tiles_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    for bad in (
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/tiles.png",
        "https://tiles.example.org; script-src */{z}/{x}/{y}",
        "javascript:alert(1)//{z}{x}{y}",
    ):
        with pytest.raises(ImproperlyConfigured):
            map_tiles_source(bad)


def test_near_me_queries_are_bounded(
    places, member, client_as, make_event, django_assert_max_num_queries
):
    client = client_as(member)
    client.get(NEAR)
    for n in range(20):
        make_event(
            title=f"Public {n}",
            audience="public",
            starts_at=paris(2026, 12, 21, 10),
            ends_at=paris(2026, 12, 21, 11),
        )
    with django_assert_max_num_queries(14):
        assert client.get(NEAR).status_code == 200


def test_a_position_must_be_whole_and_on_earth(make_event):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        make_event(title="X", latitude=Decimal("45.1"))
    assert "longitude" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_event(title="X", latitude=Decimal("95"), longitude=Decimal("4"))
    assert "latitude" in error.value.message_dict
