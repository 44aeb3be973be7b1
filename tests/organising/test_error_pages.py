"""Error pages are the site's own, translated, in its layout, with a way back."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import include, path

from members.models import Role


def refuse(request):
    raise PermissionDenied


def explode(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("refuse/", refuse),
    path("explode/", explode),
    path("", include("organising.urls")),
]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_a_wrong_address_shows_the_sites_404_page_in_french(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page introuvable</h1>" in body
    assert 'href="/"' in body  # a way back
    assert 'class="topbar"' in body  # the site's layout
    assert "DEBUG = True" not in body


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_a_unit_that_does_not_exist_shows_the_sites_404_page(
    client_as, member, settings, debug
):
    settings.DEBUG = debug
    response = client_as(member).get("/units/nowhere/members/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()
    assert 'href="/units/"' in response.content.decode()  # My units, signed in


def test_the_api_keeps_its_json_404(api_as, member, settings):
    settings.DEBUG = True
    response = api_as(member).get("/api/v1/units/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@override_settings(ROOT_URLCONF=__name__)
def test_forbidden_is_translated_and_in_the_layout(client, settings):
    settings.DEBUG = True
    response = client.get("/refuse/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Accès refusé</h1>" in body
    assert "403 Forbidden" not in body


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_shows_the_sites_500_page(client):
    client.raise_request_exception = False
    response = client.get("/explode/")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()


def test_a_bad_request_page_and_the_csrf_page_render(client, cell_secretary):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cell_secretary)
    response = strict.post("/me/", {"display_name": "X"})
    assert response.status_code == 403
    assert "<h1>The form expired</h1>" in response.content.decode()
    assert Role.objects.filter(user=cell_secretary).exists()
