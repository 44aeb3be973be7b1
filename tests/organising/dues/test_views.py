"""The dues pages, as a member and as a treasurer sees them."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Role
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import (
    DeclaredPayment,
    Import,
    Kind,
    LedgerEntry,
    Mandate,
)

from .conftest import make_late, pay, this_month

TODAY = timezone.localdate()


def form_key(response) -> str:
    """The idempotency key hidden in the payment form of a page."""
    html = response.content.decode()
    start = html.index('name="idempotency_key"')
    value = html.index('value="', start) + len('value="')
    return html[value : html.index('"', value)]


# --- Member pages --------------------------------------------------------------------


def test_my_dues_shows_expected_standing_and_reference(schedule, member, client_as):
    make_late(member)
    response = client_as(member).get(reverse("dues:mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-standing="late"' in html
    assert f"MLG{member.pk}" in html
    assert re.search(r"5[.,]00", html)  # the minimum per month


def test_member_declares_a_bracket(schedule, member, client_as):
    client = client_as(member)
    response = client.post(
        reverse("dues:bracket"), {"bracket": "200000", "category": ""}
    )
    assert response.status_code == 302
    assert member.dues_declarations.get().bracket.lower_cents == 200_000
    assert re.search(r"30[.,]00", client.get(reverse("dues:mine")).content.decode())


def test_member_declares_a_payment_once(schedule, member, client_as):
    client = client_as(member)
    key = form_key(client.get(reverse("dues:declare")))
    data = {
        "idempotency_key": key,
        "amount": "15,00",
        "paid_on": TODAY.isoformat(),
        "method": "transfer",
    }
    assert client.post(reverse("dues:declare"), data).status_code == 302
    assert client.post(reverse("dues:declare"), data).status_code == 302
    assert DeclaredPayment.objects.filter(member=member).count() == 1


def test_declared_payment_with_a_fraction_of_a_cent_is_refused(
    schedule, member, client_as
):
    response = client_as(member).post(
        reverse("dues:declare"),
        {
            "idempotency_key": "k",
            "amount": "15,0055",
            "paid_on": TODAY,
            "method": "cash",
        },
    )
    assert response.status_code == 200
    assert "fraction of a cent" in response.content.decode() or "centime" in (
        response.content.decode()
    )
    assert not DeclaredPayment.objects.exists()


def test_member_gives_a_mandate_with_a_valid_iban_only(schedule, member, client_as):
    client = client_as(member)
    bad = client.post(
        reverse("dues:mandate"),
        {"holder_name": "A", "iban": "FR76 0000 0000 0000", "agree": "on"},
    )
    assert bad.status_code == 200 and not Mandate.objects.exists()
    good = client.post(
        reverse("dues:mandate"),
        {"holder_name": "A", "iban": "FR7630006000011234567890189", "agree": "on"},
    )
    assert good.status_code == 302
    html = client.get(reverse("dues:mine")).content.decode()
    assert "FR7630006000011234567890189" not in html and "0189" in html.replace(" ", "")


def test_member_downloads_last_years_receipt(schedule, member, treasurer, client_as):
    pay(member, treasurer, "k", 1200, paid_on=TODAY.replace(year=TODAY.year - 1, day=1))
    response = client_as(member).get(reverse("dues:my_receipt", args=[TODAY.year - 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_nav_shows_my_dues_and_treasury(tree, schedule, treasurer, member, client_as):
    html = client_as(treasurer).get(reverse("dues:mine")).content.decode()
    assert reverse("dues:units") in html
    html = client_as(member).get(reverse("dues:mine")).content.decode()
    assert reverse("dues:mine") in html and reverse("dues:units") not in html


# --- Treasurer pages ------------------------------------------------------------------


def test_treasurer_records_a_payment_and_the_standing_changes(
    schedule, treasurer, member, client_as
):
    make_late(member, 1)
    client = client_as(treasurer)
    page = client.get(reverse("dues:member", args=[member.public_id]))
    assert 'data-standing="late"' in page.content.decode()
    data = {
        "idempotency_key": form_key(page),
        "amount": "10,00",
        "paid_on": TODAY.isoformat(),
        "method": "cash",
    }
    url = reverse("dues:record", args=[member.public_id])
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-standing="up_to_date"' in response.content.decode()
    # The same form sent again (a double click, a retry) records nothing more.
    client.post(url, data, headers={"HX-Request": "true"})
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT, member=member).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("3,3333", "fraction of a cent"),
        ("3,333", "ambiguous"),
        ("1e3", "exponent"),
        ("1.000", "ambiguous"),
    ],
)
def test_record_refuses_bad_amounts(
    schedule, treasurer, member, client_as, amount, message
):
    response = client_as(treasurer).post(
        reverse("dues:record", args=[member.public_id]),
        {"idempotency_key": "k", "amount": amount, "paid_on": TODAY, "method": "cash"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()


def test_treasurer_reverses_a_payment(schedule, treasurer, member, client_as):
    entry = pay(member, treasurer, "k", 1000).entry
    client = client_as(treasurer)
    data = {"idempotency_key": "rev-1", "reason": "duplicate"}
    client.post(reverse("dues:reverse", args=[entry.pk]), data)
    client.post(reverse("dues:reverse", args=[entry.pk]), data)
    assert LedgerEntry.objects.filter(kind=Kind.REVERSAL, reverses=entry).count() == 1


def count_queries(client, url, **params) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return len(queries.captured_queries), response


# The request itself (session, user, its sessions, the viewer, the navigation) takes
# about a dozen queries; the pages add a fixed few, whatever the number of rows.
PAGE_QUERY_CAP = 24


def test_member_list_query_count_does_not_grow_with_members(
    tree, schedule, treasurer, make_member, client_as
):
    client = client_as(treasurer)
    url = reverse("dues:unit", args=[tree.cell_a1x.slug])
    for _ in range(3):
        make_late(make_member(tree.cell_a1x), 1)
    few, _ = count_queries(client, url)
    for _ in range(12):
        make_late(make_member(tree.cell_a1x), 1)
    many, response = count_queries(client, url)
    assert many == few <= PAGE_QUERY_CAP
    assert response.content.decode().count('data-standing="late"') >= 15
    late = client.get(url, {"late": "1"}, headers={"HX-Request": "true"})
    assert late.status_code == 200 and "<html" not in late.content.decode()


def test_report_page_query_count_does_not_grow_with_cells(
    tree, schedule, national_treasurer, make_member, client_as
):
    from tests.factories import make_unit

    client = client_as(national_treasurer)
    url = reverse("dues:report", args=[tree.national.slug])
    make_late(make_member(tree.cell_a1x), 1)
    period = P.period_key(this_month(), "monthly")
    few, _ = count_queries(client, url, period=period)
    for index in range(5):
        make_late(make_member(make_unit(f"Cellule {index}", tree.section_b1)), 1)
    many, response = count_queries(client, url, period=period)
    assert many == few <= PAGE_QUERY_CAP
    html = response.content.decode()
    assert "Fédération A" in html and "<svg" in html and 'id="breakdown"' in html
    csv = client.get(reverse("dues:report_csv", args=[tree.national.slug]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "Fédération A" in csv.content.decode()


def test_import_flow_preview_then_confirm(tree, schedule, treasurer, member, client_as):
    client = client_as(treasurer)
    content = f"email;montant;date\n{member.email};7,50;{TODAY.isoformat()}\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("dues:import", args=[tree.cell_a1x.slug]),
        {"file": SimpleUploadedFile("r.csv", content), "encoding": "utf-8"},
    )
    batch = Import.objects.get()
    assert response.status_code == 302
    preview = client.get(reverse("dues:import_detail", args=[batch.pk]))
    assert member.display_name in preview.content.decode()
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    client.post(reverse("dues:import_confirm", args=[batch.pk]))
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1


def test_bad_csv_shows_a_clear_error(tree, schedule, treasurer, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as(treasurer).post(
        reverse("dues:import", args=[tree.cell_a1x.slug]),
        {"file": SimpleUploadedFile("r.csv", b"a;b\n1;2\n"), "encoding": "utf-8"},
    )
    assert response.status_code == 200
    assert "columns are not the expected ones" in response.content.decode()
    assert not Import.objects.exists()


def test_sepa_page_prepares_and_downloads_the_file(
    tree, schedule, treasurer, member, client_as, settings
):
    settings.DUES_SEPA_CREDITOR_NAME = "AF"
    settings.DUES_SEPA_CREDITOR_IBAN = "FR7630004000031234567890143"
    settings.DUES_SEPA_CREDITOR_ID = "FR72ZZZ123456"
    services.mandate_create(
        member=member, holder_name="A", iban="FR7630006000011234567890189"
    )
    services.charges_issue()
    client = client_as(treasurer)
    response = client.post(
        reverse("dues:sepa", args=[tree.cell_a1x.slug]),
        {
            "period": P.period_key(this_month(), P.MONTHLY),
            "collection_date": (TODAY + timedelta(days=15)).isoformat(),
        },
    )
    assert response.status_code == 302
    batch_url = response["Location"]
    assert "FR7630006000011234567890189" not in client.get(batch_url).content.decode()
    xml = client.get(batch_url.rstrip("/") + ".xml")
    assert xml["Content-Type"] == "application/xml"
    assert b"FR7630006000011234567890189" in xml.content


def test_schedule_page_lets_the_national_treasurer_publish(
    tree, schedule, national_treasurer, treasurer, client_as
):
    start = P.add_months(this_month(), 1)
    data = {
        "name": "Nouveau barème",
        "period": "monthly",
        "valid_from": start.isoformat(),
        "minimum": "6",
        "brackets": "0 ; 0,5\n1500 ; 1,5",
        "student": "2",
        "share_0": "40",
        "share_1": "20",
        "share_2": "20",
        "share_3": "20",
    }
    response = client_as(national_treasurer).post(reverse("dues:schedules"), data)
    assert response.status_code == 302
    page = client_as(treasurer).get(reverse("dues:schedules")).content.decode()
    assert "Nouveau barème" in page and "Publish" not in page
    assert client_as(treasurer).post(reverse("dues:schedules"), data).status_code == 403


def test_section_treasurer_confirms_declared_payments(
    tree, schedule, section_treasurer, member, client_as
):
    declared, _ = services.declared_payment_create(
        member=member,
        amount_cents=900,
        paid_on=TODAY,
        method="cash",
        idempotency_key="d",
    )
    client = client_as(section_treasurer)
    page = client.get(reverse("dues:declared", args=[tree.section_a1.slug]))
    assert member.display_name in page.content.decode()
    client.post(reverse("dues:declared_confirm", args=[declared.pk]))
    declared.refresh_from_db()
    assert declared.state == "confirmed"


def test_secretary_sees_amounts_but_cannot_record(
    tree, schedule, cell_secretary, member, client_as
):
    client = client_as(cell_secretary)
    assert (
        client.get(reverse("dues:unit", args=[tree.cell_a1x.slug])).status_code == 200
    )
    page = client.get(reverse("dues:member", args=[member.public_id]))
    assert page.status_code == 200 and "Record the payment" not in page.content.decode()
    response = client.post(
        reverse("dues:record", args=[member.public_id]),
        {"idempotency_key": "k", "amount": "5", "paid_on": TODAY, "method": "cash"},
    )
    assert (
        response.status_code == 403
        or not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    )
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()


def test_officer_role_alone_sees_no_dues(
    tree, schedule, make_member, member, client_as
):
    officer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])
    client = client_as(officer)
    assert (
        client.get(reverse("dues:unit", args=[tree.cell_a1x.slug])).status_code == 404
    )
    assert (
        client.get(reverse("dues:member", args=[member.public_id])).status_code == 404
    )
    assert (
        client.get(reverse("dues:report", args=[tree.cell_a1x.slug])).status_code == 404
    )


def test_sympathisers_have_no_dues_page_nor_api(
    tree, schedule, make_member, client_as, api_as
):
    from members.models import Membership

    sympathiser = make_member(tree.cell_a1x, status=Membership.Status.SYMPATHISER)
    client = client_as(sympathiser)
    assert client.get(reverse("dues:mine")).status_code == 404
    assert client.get(reverse("dues:declare")).status_code == 404
    assert client.get(reverse("dues:address")).status_code == 404
    api = api_as(sympathiser)
    assert api.get("/api/v1/dues/me/").status_code == 404
    assert api.get("/api/v1/dues/me/receipts/2025/").status_code == 404


def test_member_gives_the_postal_address_of_their_receipts(member, client_as, api_as):
    from organising.dues.models import PostalAddress

    PostalAddress.objects.filter(member=member).delete()
    client = client_as(member)
    assert client.get(reverse("dues:address")).status_code == 200
    bad = client.post(reverse("dues:address"), {"address": "only one line"})
    assert bad.status_code == 200 and "two lines" in bad.content.decode()
    response = client.post(
        reverse("dues:address"), {"address": "12 rue Haute\r\n13001 Marseille"}
    )
    assert response.status_code == 302
    assert (
        PostalAddress.objects.get(member=member).lines
        == "12 rue Haute\n13001 Marseille"
    )
    api = api_as(member)
    assert api.get("/api/v1/dues/me/address/").json()["address"].startswith("12 rue")
    refused = api.put("/api/v1/dues/me/address/", {"address": "x"}, format="json")
    assert refused.status_code == 400 and "address" in refused.json()
