"""Petitions' API: public read and sign without an account, confirmation and
withdrawal by the secret, the officers' endpoints; bad input is a 400 naming the
field, and nothing is stored twice."""

import pytest
from rest_framework.test import APIClient

from organising.petitions.models import Petition, Signature

from .conftest import token_in

pytestmark = pytest.mark.django_db

SIGNER = {
    "first_name": "Alice",
    "last_name": "Martin",
    "email": "alice@example.org",
    "postcode": "69001",
}


@pytest.fixture
def anonymous():
    return APIClient()


def sign_api(client, petition, captured, **changes):
    with captured(execute=True):
        return client.post(
            f"/api/v1/petitions/{petition.slug}/sign/",
            {**SIGNER, **changes},
            format="json",
        )


def test_anyone_reads_an_open_petition(anonymous, petition):
    response = anonymous.get(f"/api/v1/petitions/{petition.slug}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == petition.title
    assert body["signature_count"] == 0 and body["accepts_signatures"]
    assert "text" not in body  # the sanitised HTML only


def test_a_draft_is_404_to_the_public(anonymous, make_petition):
    draft = make_petition(open=False)
    assert anonymous.get(f"/api/v1/petitions/{draft.slug}/").status_code == 404


def test_sign_confirm_and_withdraw(
    anonymous, petition, mailoutbox, django_capture_on_commit_callbacks
):
    response = sign_api(anonymous, petition, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    token = token_in(mailoutbox[-1])
    confirmed = anonymous.post(
        "/api/v1/petitions/confirm/", {"token": token}, format="json"
    )
    assert confirmed.status_code == 200
    assert confirmed.json() == {"petition": petition.slug, "signature_count": 1}
    twice = anonymous.post(
        "/api/v1/petitions/confirm/", {"token": token}, format="json"
    )
    assert twice.status_code == 400 and "token" in twice.json()
    assert Petition.objects.get().signature_count == 1
    withdrawn = anonymous.post(
        "/api/v1/petitions/withdraw/", {"token": token}, format="json"
    )
    assert withdrawn.status_code == 200
    assert Petition.objects.get().signature_count == 0
    again = anonymous.post(
        "/api/v1/petitions/withdraw/", {"token": token}, format="json"
    )
    assert again.status_code == 400 and "token" in again.json()


def test_an_expired_secret_is_a_400_naming_the_token(anonymous, petition, sign):
    from datetime import timedelta

    from django.utils import timezone

    token = sign(petition)
    Signature.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    response = anonymous.post("/api/v1/petitions/confirm/", {"token": token})
    assert response.status_code == 400
    assert "expired" in response.json()["token"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "alice"}, "email"),
        ({"email": 12}, "email"),
        ({"phone": "06 12"}, "phone"),
        ({"website": "spam"}, "website"),
        ({"postcode": ""}, "postcode"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    anonymous,
    make_petition,
    territories,
    django_capture_on_commit_callbacks,
    changes,
    field,
):
    petition = make_petition(ask_phone=True)
    response = sign_api(
        anonymous, petition, django_capture_on_commit_callbacks, **changes
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Signature.objects.count() == 0


def test_a_closed_petition_is_a_400_naming_the_petition(
    anonymous, petition, section_secretary, django_capture_on_commit_callbacks
):
    from organising.petitions import services

    services.petition_close(petition=petition, by=section_secretary)
    response = sign_api(anonymous, petition, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "petition" in response.json()


def test_signing_twice_answers_the_same_and_stores_one(
    anonymous, petition, sign, confirm, django_capture_on_commit_callbacks
):
    confirm(sign(petition))
    response = sign_api(anonymous, petition, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert Signature.objects.count() == 1


def test_signing_is_limited_with_429(
    anonymous, petition, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "petition_sign": "2/m"}
    for n in range(2):
        ok = sign_api(
            anonymous,
            petition,
            django_capture_on_commit_callbacks,
            email=f"p{n}@example.org",
        )
        assert ok.status_code == 202
    refused = sign_api(
        anonymous, petition, django_capture_on_commit_callbacks, email="p9@example.org"
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_officers_create_open_and_read_signatures(api_as, tree, world, sign, confirm):
    client = api_as(world.secretary)
    created = client.post(
        "/api/v1/petitions/",
        {
            "unit": tree.section_a1.slug,
            "title": "Plus de pistes cyclables",
            "text": "<p>Des pistes <em>sûres</em>.</p><script>x</script>",
            "goal": 300,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    slug = created.json()["slug"]
    assert created.json()["status"] == "draft"
    assert "<script" not in created.json()["text_html"]
    opened = client.post(f"/api/v1/petitions/{slug}/status/", {"status": "open"})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    petition = Petition.objects.get(slug=slug)
    confirm(sign(petition, "z@example.org"))
    page = client.get(f"/api/v1/petitions/{slug}/signatures/")
    assert page.status_code == 200
    assert [r["email"] for r in page.json()["results"]] == ["z@example.org"]
    assert page.json()["results"][0]["routed_to"] == tree.cell_a1x.slug
    listing = client.get(f"/api/v1/petitions/?unit={tree.section_a1.slug}")
    assert {p["slug"] for p in listing.json()} >= {slug}
    activity = client.get(f"/api/v1/petitions/{slug}/activity/")
    assert activity.status_code == 200 and activity.json()["requested_last_hour"] == 1
    edited = client.patch(f"/api/v1/petitions/{slug}/", {"goal": 0}, format="json")
    assert edited.status_code == 400 and "goal" in edited.json()


def test_others_get_403_or_404(api_as, anonymous, petition, member, tree):
    client = api_as(member)
    assert (
        client.get(f"/api/v1/petitions/{petition.slug}/signatures/").status_code == 403
    )
    assert (
        client.patch(
            f"/api/v1/petitions/{petition.slug}/", {"title": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/petitions/",
            {"unit": tree.section_a1.slug, "title": "x", "text": "y"},
            format="json",
        ).status_code
        == 403
    )
    assert anonymous.get(
        f"/api/v1/petitions/{petition.slug}/signatures/"
    ).status_code in (401, 403)
    assert client.get("/api/v1/petitions/nope/").status_code == 404


def test_the_public_signers(anonymous, petition, sign, confirm):
    confirm(sign(petition, "a@example.org", first_name="Anne", show_publicly=True))
    confirm(sign(petition, "b@example.org", first_name="Bruno"))
    response = anonymous.get(f"/api/v1/petitions/{petition.slug}/signers/")
    assert response.json() == [{"first_name": "Anne", "commune": "Lyon 1er"}]
