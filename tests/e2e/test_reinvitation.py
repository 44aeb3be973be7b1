"""A former member with two-factor authentication is invited again: the link asks
them to sign in (password, then their code), brings them back, and they accept."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from members import services
from members.models import Membership

pytestmark = pytest.mark.e2e


def test_a_reinvited_member_signs_in_with_the_second_factor_then_accepts(
    live_server, tree, member, cell_secretary, new_page
):
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    services.membership_end(member=member, by=cell_secretary)
    _invitation, raw = services.invitation_create(
        unit=tree.cell_a1x, email=member.email, by=cell_secretary
    )
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/invitation/{raw}/")
    assert page.locator("input[type=password]").count() == 0
    page.locator("main a.button").first.click()
    page.fill("input[name=login]", member.email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    page.fill("input[name=code]", code)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/invitation/{raw}/$"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/units/$"))
    assert Membership.objects.current().get(user=member).unit == tree.cell_a1x
