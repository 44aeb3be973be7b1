"""Failed sign-ins slow down the network that makes them, in growing steps; they
never lock the account itself, so nobody can lock a member out."""

import time

import pytest
from django.test import Client

PASSWORD = "correct-horse-battery"


def sign_in(client: Client, email: str, password: str, address: str):
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_from_another_network_still_signs_in(member):
    attacker = Client()
    for _ in range(12):
        sign_in(attacker, member.email, "wrong-password", "203.0.113.9")
    assert not signed_in(attacker)
    owner = Client()
    response = sign_in(owner, member.email, PASSWORD, "198.51.100.20")
    assert response.status_code == 302 and signed_in(owner)


def test_the_guessing_network_waits_even_with_the_right_password(member):
    attacker = Client()
    for _ in range(3):
        sign_in(attacker, member.email, "wrong-password", "203.0.113.9")
    page = sign_in(attacker, member.email, PASSWORD, "203.0.113.9")
    assert not signed_in(attacker)
    assert "Too many failed login attempts" in page.content.decode()


def test_a_network_guessing_many_accounts_is_slowed_down(tree, make_member):
    people = [make_member(tree.cell_a1x) for _ in range(11)]
    attacker = Client()
    for person in people[:10]:
        sign_in(attacker, person.email, "wrong-password", "203.0.113.9")
    page = sign_in(attacker, people[10].email, PASSWORD, "203.0.113.9")
    assert not signed_in(attacker)
    assert page.status_code in (200, 429)


def test_the_delay_ends(member, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "10/m/ip,2/2s/key",
    }
    client = Client()
    for _ in range(2):
        sign_in(client, member.email, "wrong-password", "203.0.113.9")
    sign_in(client, member.email, PASSWORD, "203.0.113.9")
    assert not signed_in(client)
    time.sleep(2.1)
    sign_in(client, member.email, PASSWORD, "203.0.113.9")
    assert signed_in(client)


@pytest.mark.parametrize("address", ["2001:db8:1:2::5", "192.0.2.10"])
def test_a_successful_sign_in_does_not_count(member, address):
    for _ in range(5):
        client = Client()
        sign_in(client, member.email, PASSWORD, address)
        assert signed_in(client)
