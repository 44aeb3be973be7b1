"""Dues in a browser: a treasurer records a payment on a phone, the member sees their
standing change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Membership, Role
from organising.dues import periods as P
from organising.dues import services
from tests.organising.dues.conftest import (
    CREDITOR,
    IBAN,
    make_schedule,
    pay,
    this_month,
)

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


# What overflows a phone: the page itself, or a box that scrolls sideways (a table
# squeezed in its .table-wrap). Boxes hidden to the eye (1 px wide) and form fields
# (a long name scrolls inside its input) do not count.
OVERFLOW = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const inner = [...document.querySelectorAll('body *')].filter(el =>
    el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1
    && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)
    && getComputedStyle(el).overflowX !== 'visible');
  return {page: document.documentElement.scrollWidth,
          inner: inner.map(el => el.tagName + '.' + el.className)};
}"""


def test_every_dues_page_fits_a_phone(
    live_server, tree, make_member, new_page, login, settings
):
    """No dues page scrolls sideways on a 360 px phone, with long names, e-mail
    addresses and references, and every <details> open."""
    for name, value in CREDITOR.items():
        setattr(settings, name, value)
    today = timezone.localdate()
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.TREASURER)])
    make_schedule(national)
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    member = make_member(
        tree.cell_a1x,
        display_name="Marie-Françoise de La Tour-Dumoulin",
        email="marie-francoise.delatourdumoulin.1987@exemple-interminable.fr",
    )
    # Paid last year (a receipt to show), before any dues were called; a payment
    # is recorded only from the member's joining, so they joined then.
    last_year = today.replace(year=today.year - 1)
    Membership.objects.filter(user=member).update(started_on=last_year)
    pay(member, treasurer, "last-year", 1500, paid_on=last_year)
    Membership.objects.filter(unit=tree.cell_a1x).update(
        started_on=P.add_months(this_month(), -2)
    )
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    services.declared_payment_create(
        member=member,
        amount_cents=1500,
        paid_on=today,
        method="transfer",
        idempotency_key="declared",
        reference="VIREMENT-COTISATION-REFERENCE-TRES-LONGUE-SANS-ESPACE-0123456789",
    )
    services.mandate_create(member=member, holder_name="M", iban=IBAN)
    batch = services.import_create(
        unit=tree.cell_a1x,
        by=treasurer,
        filename="releve-de-compte-de-la-banque-du-mois.csv",
        content=(
            "email;montant;date\n"
            f"{member.email};7,50;{today.isoformat()}\n"
            f"inconnu.avec.une.adresse.tres.longue@exemple.fr;5;{today.isoformat()}\n"
            ";abc;31/02/2026\n"
        ).encode(),
        encoding="utf-8",
    )
    debits = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=today + timedelta(days=15),
        by=treasurer,
    )
    cell = tree.cell_a1x.slug
    pages = {
        treasurer: [
            f"/dues/u/{cell}/",
            f"/dues/u/{cell}/report/",
            f"/dues/u/{cell}/declared/",
            f"/dues/u/{cell}/import/",
            f"/dues/imports/{batch.pk}/",
            f"/dues/u/{cell}/direct-debit/",
            f"/dues/direct-debit/{debits.pk}/",
            f"/dues/members/{member.public_id}/",
            "/dues/schedules/",
        ],
        national: [f"/dues/u/{tree.national.slug}/report/", "/dues/schedules/"],
        member: ["/dues/", "/dues/declare/", "/dues/mandate/"],
    }
    too_wide = {}
    for user, paths in pages.items():
        page = new_page(phone=True)
        login(page, user)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            measured = page.evaluate(OVERFLOW)
            if measured["page"] > 360 or measured["inner"]:
                too_wide[path] = measured
    assert too_wide == {}
