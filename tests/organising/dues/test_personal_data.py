"""Members' dues shown or handed out in bulk leave a row in the audit trail: who,
in which unit, how many members, viewed or exported."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from members.models import Membership
from organising.audit.models import AuditEntry
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import Import

from .conftest import IBAN, pay, this_month

TODAY = timezone.localdate()
API = "/api/v1/dues"


def trail(kind: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=f"members.{kind}").order_by("pk"))


def assert_recorded(kind: str, *, by, unit, count: int) -> None:
    rows = trail(kind)
    assert len(rows) == 1, rows
    assert rows[0].actor == by and rows[0].unit == unit
    assert rows[0].data == {"count": count}


def adherents_of(unit) -> int:
    return (
        Membership.objects.current()
        .filter(unit__path__startswith=unit.path, status=Membership.Status.ADHERENT)
        .count()
    )


# --- Pages ---------------------------------------------------------------------


def test_members_list_with_standing_records_a_view(
    tree, schedule, treasurer, member, client_as
):
    response = client_as(treasurer).get(reverse("dues:unit", args=[tree.cell_a1x.slug]))
    assert response.status_code == 200
    assert_recorded(
        "view", by=treasurer, unit=tree.cell_a1x, count=adherents_of(tree.cell_a1x)
    )


def test_a_secretary_reading_the_list_is_recorded_too(
    tree, schedule, cell_secretary, member, client_as
):
    client_as(cell_secretary).get(
        reverse("dues:unit", args=[tree.cell_a1x.slug]),
        {"q": member.display_name},
        headers={"HX-Request": "true"},
    )
    assert_recorded("view", by=cell_secretary, unit=tree.cell_a1x, count=1)


def test_a_search_that_shows_nobody_records_nothing(
    tree, schedule, treasurer, client_as
):
    client_as(treasurer).get(
        reverse("dues:unit", args=[tree.cell_a1x.slug]), {"q": "nobody-matches"}
    )
    assert trail("view") == []


def test_one_members_page_is_not_a_bulk_view(schedule, treasurer, member, client_as):
    client_as(treasurer).get(reverse("dues:member", args=[member.public_id]))
    assert trail("view") == [] and trail("export") == []


def test_cell_report_with_amounts_per_member_records_view_and_export(
    tree, schedule, treasurer, member, client_as
):
    services.charges_issue()
    client = client_as(treasurer)
    count = adherents_of(tree.cell_a1x)
    client.get(reverse("dues:report", args=[tree.cell_a1x.slug]))
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=count)
    csv = client.get(reverse("dues:report_csv", args=[tree.cell_a1x.slug]))
    assert member.email in csv.content.decode()
    assert_recorded("export", by=treasurer, unit=tree.cell_a1x, count=count)


def test_report_above_a_cell_shows_no_member_and_records_nothing(
    tree, schedule, national_treasurer, member, client_as
):
    client = client_as(national_treasurer)
    client.get(reverse("dues:report", args=[tree.national.slug]))
    client.get(reverse("dues:report_csv", args=[tree.national.slug]))
    assert trail("view") == [] and trail("export") == []


def test_declared_payments_list_records_a_view(
    tree, schedule, section_treasurer, member, client_as
):
    services.declared_payment_create(
        member=member,
        amount_cents=900,
        paid_on=TODAY,
        method="cash",
        idempotency_key="d",
    )
    client_as(section_treasurer).get(
        reverse("dues:declared", args=[tree.section_a1.slug])
    )
    assert_recorded("view", by=section_treasurer, unit=tree.section_a1, count=1)


def test_import_preview_records_the_members_it_matched(
    tree, schedule, treasurer, member, client_as
):
    content = (
        "email;montant;date\n"
        f"{member.email};7,50;{TODAY.isoformat()}\n"
        f"{member.email};2,50;{TODAY.isoformat()}\n"
        f"nobody@example.org;5;{TODAY.isoformat()}\n"
    ).encode()
    client = client_as(treasurer)
    client.post(
        reverse("dues:import", args=[tree.cell_a1x.slug]),
        {"file": SimpleUploadedFile("r.csv", content), "encoding": "utf-8"},
    )
    client.get(reverse("dues:import_detail", args=[Import.objects.get().pk]))
    # Two lines, one member: counted once.
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=1)


def test_sepa_batch_page_and_file_record_view_and_export(
    tree, schedule, treasurer, member, client_as, creditor
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    services.charges_issue()
    batch = services.debit_batch_create(
        unit=tree.cell_a1x,
        period=this_month(),
        collection_date=TODAY + timedelta(days=15),
        by=treasurer,
    )
    client = client_as(treasurer)
    client.get(reverse("dues:sepa_batch", args=[batch.pk]))
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=1)
    xml = client.get(reverse("dues:sepa_xml", args=[batch.pk]))
    assert xml.status_code == 200
    assert_recorded("export", by=treasurer, unit=tree.cell_a1x, count=1)


def test_bulk_receipts_record_an_export(
    tree, schedule, section_treasurer, treasurer, make_member, client_as
):
    last_year = TODAY.year - 1
    for index in range(3):
        pay(
            make_member(tree.cell_a1x),
            treasurer,
            f"k{index}",
            paid_on=TODAY.replace(year=last_year, month=3, day=1),
        )
    response = client_as(section_treasurer).post(
        reverse("dues:receipts_bulk", args=[tree.section_a1.slug]),
        {"year": last_year},
    )
    assert response["Content-Type"] == "application/zip"
    assert_recorded("export", by=section_treasurer, unit=tree.section_a1, count=3)


def test_bulk_receipts_for_a_year_without_dues_record_nothing(
    tree, schedule, treasurer, client_as
):
    client_as(treasurer).post(
        reverse("dues:receipts_bulk", args=[tree.cell_a1x.slug]),
        {"year": TODAY.year - 1},
    )
    assert trail("export") == []


# --- API -----------------------------------------------------------------------


def test_api_members_with_standing_records_a_view(
    tree, schedule, treasurer, member, api_as
):
    response = api_as(treasurer).get(
        f"{API}/units/{tree.cell_a1x.slug}/members/", {"q": member.display_name}
    )
    assert len(response.json()["results"]) == 1
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=1)


def test_api_payments_list_records_the_members_on_the_page(
    tree, schedule, treasurer, member, make_member, api_as
):
    other = make_member(tree.cell_a1x)
    pay(member, treasurer, "a")
    pay(member, treasurer, "b")
    pay(other, treasurer, "c")
    response = api_as(treasurer).get(f"{API}/payments/", {"unit": tree.cell_a1x.slug})
    assert len(response.json()["results"]) == 3
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=2)


def test_api_mandates_with_full_ibans_records_a_view(
    tree, schedule, section_treasurer, member, api_as
):
    services.mandate_create(member=member, holder_name="A", iban=IBAN)
    response = api_as(section_treasurer).get(
        f"{API}/mandates/", {"unit": tree.section_a1.slug}
    )
    assert response.json()["results"][0]["iban"] == IBAN.replace(" ", "")
    assert_recorded("view", by=section_treasurer, unit=tree.section_a1, count=1)


def test_api_cell_report_with_members_records_a_view(
    tree, schedule, treasurer, member, api_as
):
    services.charges_issue()
    period = P.period_key(this_month(), P.MONTHLY)
    response = api_as(treasurer).get(
        f"{API}/units/{tree.cell_a1x.slug}/report/", {"period": period}
    )
    assert response.status_code == 200
    assert_recorded(
        "view", by=treasurer, unit=tree.cell_a1x, count=adherents_of(tree.cell_a1x)
    )


def test_api_import_preview_records_a_view(tree, schedule, treasurer, member, api_as):
    content = f"email;montant;date\n{member.email};7,50;{TODAY.isoformat()}\n"
    response = api_as(treasurer).post(
        f"{API}/imports/",
        {
            "unit": tree.cell_a1x.slug,
            "file": SimpleUploadedFile("r.csv", io.BytesIO(content.encode()).read()),
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert_recorded("view", by=treasurer, unit=tree.cell_a1x, count=1)
