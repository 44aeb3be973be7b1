"""An invitation for an address that already has an account never bypasses that
account's sign-in: its owner signs in as usual (second factor included), then
accepts. The link alone sets no password and signs nobody in."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.test import Client

from members import services
from members.models import Membership

PASSWORD = "correct-horse-battery"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.fixture
def former_with_totp(tree, member, cell_secretary):
    """A member who turned on TOTP, then left the party."""
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    services.membership_end(member=member, by=cell_secretary)
    member.totp_secret = secret
    return member


@pytest.fixture
def reinvitation(
    tree, former_with_totp, cell_secretary, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, raw = services.invitation_create(
            unit=tree.cell_a1x, email=former_with_totp.email, by=cell_secretary
        )
    path = f"/invitation/{raw}/"
    assert path in mail.outbox[-1].body
    return path


def test_the_link_sets_no_password_and_signs_nobody_in(former_with_totp, reinvitation):
    reader_of_the_mailbox = Client()
    page = reader_of_the_mailbox.get(reinvitation)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign in to accept" in html and 'type="password"' not in html
    taken = reader_of_the_mailbox.post(
        reinvitation,
        {"display_name": "Pirate", "password": "a-new-long-password", "password2": ""},
    )
    assert taken.status_code == 403
    assert "_auth_user_id" not in reader_of_the_mailbox.session
    former_with_totp.refresh_from_db()
    assert former_with_totp.check_password(PASSWORD)
    assert former_with_totp.display_name != "Pirate"
    assert not Membership.objects.current().filter(user=former_with_totp).exists()


def test_the_service_refuses_to_set_the_password_of_an_existing_account(
    former_with_totp, reinvitation
):
    from django.core.exceptions import PermissionDenied

    raw = reinvitation.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(PermissionDenied):
        services.invitation_accept(
            raw_token=raw, password="a-new-long-password", display_name="Pirate"
        )


def test_the_owner_signs_in_with_the_second_factor_then_accepts(
    tree, former_with_totp, reinvitation
):
    owner = Client()
    page = owner.get(reinvitation).content.decode()
    login_url = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1)
    signed = owner.post(
        login_url.replace("&amp;", "&"),
        {"login": former_with_totp.email, "password": PASSWORD},
    )
    assert signed.status_code == 302 and "2fa" in signed["Location"]
    assert "_auth_user_id" not in owner.session  # the second factor is still due
    done = owner.post(
        signed["Location"], {"code": totp_code(former_with_totp.totp_secret)}
    )
    assert done.status_code == 302 and done["Location"] == reinvitation
    assert owner.get(reinvitation).status_code == 200
    accepted = owner.post(reinvitation)
    assert accepted.status_code == 302
    membership = Membership.objects.current().get(user=former_with_totp)
    assert membership.unit == tree.cell_a1x
    assert owner.get(reinvitation).status_code == 410  # used


def test_someone_else_signed_in_cannot_accept_it(
    former_with_totp, reinvitation, make_member, client_as
):
    other = make_member(None)
    response = client_as(other).post(reinvitation)
    assert response.status_code == 403
    assert not Membership.objects.current().filter(user=other).exists()


def test_a_new_address_still_chooses_its_password(tree, cell_secretary, client):
    _invitation, raw = services.invitation_create(
        unit=tree.cell_a1x, email="nouvelle@example.org", by=cell_secretary
    )
    response = client.post(
        f"/invitation/{raw}/",
        {
            "display_name": "Nouvelle Venue",
            "password": "a-new-long-password",
            "password_again": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_join_request_for_an_existing_account_mails_no_password_link(
    tree, former_with_totp, cell_secretary, django_capture_on_commit_callbacks
):
    """The same bypass through a join request: anyone may ask to join under the
    former member's address; once accepted, the e-mail must not let its reader in."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    application = services.application_submit(
        unit=tree.cell_a1x,
        email=former_with_totp.email,
        display_name="Revenant",
        postcode="69001",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(
            application=application, accept=True, by=cell_secretary
        )
    body = mail.outbox[-1].body
    assert "/welcome/password/" not in body and "/accounts/login/" in body
    # A welcome link forged for the account is refused too.
    key = default_token_generator.make_token(former_with_totp)
    uid = user_pk_to_url_str(former_with_totp)
    reader = Client()
    response = reader.post(
        f"/welcome/password/{uid}/{key}/",
        {"password": "a-new-long-password", "password_again": "a-new-long-password"},
    )
    assert response.status_code == 410
    assert "_auth_user_id" not in reader.session
    former_with_totp.refresh_from_db()
    assert former_with_totp.check_password(PASSWORD)
