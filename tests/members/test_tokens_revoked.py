"""API tokens stop working when their owner changes their password or turns on a
second factor, and the tokens page revokes them all at once."""

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from members.services import token_create
from organising.audit.models import AuditEntry

PASSWORD = "correct-horse-battery"


def api_status(raw: str) -> int:
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def signed_in(member) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    return client


def test_a_password_change_revokes_every_token(member):
    tokens = [token_create(user=member, name=f"t{n}")[1] for n in range(2)]
    assert [api_status(raw) for raw in tokens] == [200, 200]
    client = signed_in(member)
    changed = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-password",
            "password2": "a-brand-new-password",
        },
    )
    assert changed.status_code == 302
    assert [api_status(raw) for raw in tokens] == [401, 401]
    entry = AuditEntry.objects.get(action="token.revoke_all")
    assert entry.data == {"count": 2, "reason": "password"}


def test_turning_on_two_factor_revokes_every_token(
    member, django_capture_on_commit_callbacks
):
    _token, raw = token_create(user=member, name="script")
    client = signed_in(member)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals then
        activated = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert activated.status_code == 302
    assert api_status(raw) == 401


def test_the_tokens_page_revokes_them_all(member, client_as):
    tokens = [token_create(user=member, name=f"t{n}")[1] for n in range(3)]
    client = client_as(member)
    page = client.get("/me/tokens/").content.decode()
    assert "Revoke all tokens" in page and "Changing your password" in page
    done = client.post("/me/tokens/revoke-all/", follow=True)
    assert "3 tokens are revoked." in done.content.decode()
    assert {api_status(raw) for raw in tokens} == {401}


def test_the_profile_page_says_so(member, client_as):
    page = client_as(member).get("/me/").content.decode()
    assert "revokes every API token" in page
