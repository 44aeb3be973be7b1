"""Dues in a browser: a treasurer records a payment on a phone, the member sees their
standing change."""

import pytest
from playwright.sync_api import expect

from members.models import Membership, Role
from organising.dues import periods as P
from organising.dues import services
from tests.organising.dues.conftest import make_schedule, this_month

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_treasurer_records_a_payment_and_the_member_sees_their_standing_change(
    live_server, tree, make_member, new_page, login
):
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.TREASURER)])
    make_schedule(national)
    treasurer = make_member(
        tree.cell_a1x,
        roles=[(tree.cell_a1x, Role.Kind.TREASURER)],
        display_name="Trésa",
    )
    member = make_member(tree.cell_a1x, display_name="Camille Martin")
    Membership.objects.filter(user=member).update(
        started_on=P.add_months(this_month(), -1)
    )
    services.charges_issue(on=P.add_months(this_month(), -1))
    services.charges_issue()

    member_page = new_page(phone=True)
    login(member_page, member)
    member_page.goto(f"{live_server.url}/dues/")
    expect(member_page.locator("#standing [data-standing]")).to_have_attribute(
        "data-standing", "late"
    )

    page = new_page(phone=True)
    login(page, treasurer)
    page.goto(f"{live_server.url}/dues/units/")  # one unit: straight to its members
    page.get_by_role("link", name="Camille Martin").click()
    expect(page.locator("#standing [data-standing]")).to_have_attribute(
        "data-standing", "late"
    )
    form = page.locator("form[hx-post]")
    form.locator("input[name=amount]").fill("10,00")
    form.locator("select[name=method]").select_option("cash")
    form.locator("button[type=submit]").click()
    # htmx swaps the panel: the standing is now up to date, the payment is listed.
    expect(page.locator("#standing [data-standing]")).to_have_attribute(
        "data-standing", "up_to_date"
    )
    expect(page.locator("#entries")).to_contain_text("10")

    member_page.reload()
    expect(member_page.locator("#standing [data-standing]")).to_have_attribute(
        "data-standing", "up_to_date"
    )
