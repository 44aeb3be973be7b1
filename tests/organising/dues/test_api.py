"""The dues API: recording once, reversing, listing, imports, mandates, reports, my
dues, and who may do what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import Role
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import Kind, LedgerEntry

from .conftest import pay, this_month

TODAY = timezone.localdate().isoformat()
API = "/api/v1/dues"


def payment(member, **extra):
    return {
        "member": str(member.public_id),
        "amount_cents": 1500,
        "paid_on": TODAY,
        "method": "transfer",
        **extra,
    }


def test_record_is_idempotent_by_header(schedule, treasurer, member, api_as):
    client = api_as(treasurer)
    first = client.post(
        f"{API}/payments/",
        payment(member),
        format="json",
        headers={"Idempotency-Key": "abc"},
    )
    again = client.post(
        f"{API}/payments/",
        payment(member),
        format="json",
        headers={"Idempotency-Key": "abc"},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    conflict = client.post(
        f"{API}/payments/",
        payment(member, amount_cents=999),
        format="json",
        headers={"Idempotency-Key": "abc"},
    )
    assert conflict.status_code == 409
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -100}, "amount_cents"),
        ({"amount_cents": 12.5}, "amount_cents"),
        ({"amount_cents": "12.34"}, "amount_cents"),
        ({"periods": ["1999-01"]}, "periods"),
        ({"method": "cheque"}, "cheque_number"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_payments_answer_400_naming_the_field(
    schedule, treasurer, member, api_as, changes, field
):
    data = {"idempotency_key": "k1", **payment(member), **changes}
    response = api_as(treasurer).post(f"{API}/payments/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()


def test_member_outside_the_treasurers_units_reads_as_an_unknown_id(
    tree, schedule, treasurer, make_member, api_as
):
    """The same 400 for a member elsewhere, a former member and an id nobody has: the
    answer does not tell whether an id is a member."""
    elsewhere = make_member(tree.cell_b1x)
    former = make_member(None)
    client = api_as(treasurer)
    answers = []
    for public_id in (
        elsewhere.public_id,
        former.public_id,
        "00000000-0000-4000-8000-000000000000",
    ):
        data = {**payment(elsewhere, idempotency_key=f"k{len(answers)}")}
        data["member"] = str(public_id)
        response = client.post(f"{API}/payments/", data, format="json")
        assert response.status_code == 400
        answers.append(response.json()["member"])
    assert answers[0] == answers[1] == answers[2]
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()


def test_reverse_and_list(tree, schedule, treasurer, member, api_as):
    client = api_as(treasurer)
    entry_id = client.post(
        f"{API}/payments/", payment(member, idempotency_key="p"), format="json"
    ).json()["id"]
    reversed_ = client.post(
        f"{API}/payments/{entry_id}/reverse/",
        {"reason": "typo", "idempotency_key": "r"},
        format="json",
    )
    assert reversed_.status_code == 201 and reversed_.json()["amount_cents"] == -1500
    listing = client.get(f"{API}/payments/", {"unit": tree.cell_a1x.slug})
    assert listing.status_code == 200
    kinds = [row["kind"] for row in listing.json()["results"]]
    assert kinds == ["reversal", "payment"]
    assert listing.json()["results"][1]["periods"][0]["amount_cents"] == 1500


def test_list_is_404_for_officers_as_for_unknown_units(
    tree, schedule, make_member, api_as
):
    """An officer who does not read dues does not see the unit's ledger at all."""
    officer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])
    client = api_as(officer)
    assert (
        client.get(f"{API}/payments/", {"unit": tree.cell_a1x.slug}).status_code == 404
    )
    assert client.get(f"{API}/payments/", {"unit": "nope"}).status_code == 404


def test_my_dues(schedule, member, treasurer, api_as):
    services.charges_issue()
    pay(member, treasurer, "k", 500)
    data = api_as(member).get(f"{API}/me/").json()
    assert data["standing"]["state"] == "up_to_date"
    assert data["expected_period_cents"] == 500
    assert data["periods"][0] == {
        "period": P.period_key(this_month(), "monthly"),
        "due_cents": 500,
        "paid_cents": 500,
    }
    assert data["transfer_reference"] == f"MLG{member.pk}"


def test_member_declares_bracket_payment_and_mandate(schedule, member, api_as):
    client = api_as(member)
    assert (
        client.put(
            f"{API}/me/bracket/", {"bracket_lower_cents": 100_000}, format="json"
        ).status_code
        == 200
    )
    declared = client.post(
        f"{API}/me/declared-payments/",
        {"amount_cents": 1000, "paid_on": TODAY, "method": "transfer"},
        format="json",
        headers={"Idempotency-Key": "d"},
    )
    again = client.post(
        f"{API}/me/declared-payments/",
        {"amount_cents": 1000, "paid_on": TODAY, "method": "transfer"},
        format="json",
        headers={"Idempotency-Key": "d"},
    )
    assert (declared.status_code, again.status_code) == (201, 200)
    bad = client.post(
        f"{API}/me/mandate/",
        {"holder_name": "A", "iban": "FR7600000000000"},
        format="json",
    )
    assert bad.status_code == 400 and "iban" in bad.json()
    good = client.post(
        f"{API}/me/mandate/",
        {"holder_name": "A", "iban": "FR7630006000011234567890189"},
        format="json",
    )
    assert good.status_code == 201
    assert good.json()["iban"].replace(" ", "").endswith("0189")
    assert "30006000" not in good.json()["iban"]
    assert client.delete(f"{API}/me/mandate/").status_code == 204


def test_treasurer_sees_full_iban_secretary_cannot_list_mandates(
    tree, schedule, treasurer, cell_secretary, member, api_as
):
    services.mandate_create(
        member=member, holder_name="A", iban="FR7630006000011234567890189"
    )
    rows = (
        api_as(treasurer).get(f"{API}/mandates/", {"unit": tree.cell_a1x.slug}).json()
    )
    assert rows["results"][0]["iban"] == "FR7630006000011234567890189"
    response = api_as(cell_secretary).get(
        f"{API}/mandates/", {"unit": tree.cell_a1x.slug}
    )
    assert response.status_code == 403


def test_import_upload_preview_confirm(tree, schedule, treasurer, member, api_as):
    client = api_as(treasurer)
    content = f"email;montant;date\n{member.email};9;{TODAY}\nnobody@x.org;9;{TODAY}\n"
    upload = client.post(
        f"{API}/imports/",
        {
            "unit": tree.cell_a1x.slug,
            "file": SimpleUploadedFile("r.csv", content.encode()),
        },
        format="multipart",
    )
    assert upload.status_code == 201
    batch = upload.json()
    assert batch["counts"]["matched"] == 1 and batch["counts"]["unmatched"] == 1
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    preview = client.get(f"{API}/imports/{batch['id']}/").json()
    assert [line["status"] for line in preview["lines"]] == ["matched", "unmatched"]
    confirmed = client.post(f"{API}/imports/{batch['id']}/confirm/")
    client.post(f"{API}/imports/{batch['id']}/confirm/")
    assert confirmed.json()["state"] == "confirmed"
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1
    wrong = client.post(
        f"{API}/imports/",
        {
            "unit": tree.cell_a1x.slug,
            "file": SimpleUploadedFile("r.csv", b"x;y\n1;2\n"),
        },
        format="multipart",
    )
    assert wrong.status_code == 400 and "file" in wrong.json()


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("section_treasurer", "section_a1", 200),
        ("section_treasurer", "cell_a1y", 200),  # below: allowed
        ("section_treasurer", "fed_a", 404),  # above: not seen
        ("section_secretary", "section_a1", 200),
        ("member", "cell_a1x", 404),
        ("national_treasurer", "national", 200),
    ],
)
def test_report_access_by_role(tree, schedule, request, api_as, who, unit, status):
    user = request.getfixturevalue(who)
    response = api_as(user).get(f"{API}/units/{getattr(tree, unit).slug}/report/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert len(body["months"]) == 24
        assert body["members"] is None or getattr(tree, unit).is_leaf()


def test_cell_report_has_member_rows_for_treasurers_only(
    tree, schedule, treasurer, section_secretary, member, api_as
):
    services.charges_issue()
    rows = api_as(treasurer).get(f"{API}/units/{tree.cell_a1x.slug}/report/").json()
    assert any(m["email"] == member.email for m in rows["members"])


def test_schedules_are_listed_and_created_by_the_national_treasurer(
    tree, schedule, national_treasurer, treasurer, api_as
):
    assert api_as(treasurer).get(f"{API}/schedules/").json()[0]["brackets"][1] == {
        "lower_cents": 100_000,
        "upper_cents": 200_000,
        "rate_bp": 100,
        "monthly_cents": 1000,
    }
    body = {
        "name": "2",
        "period": "quarterly",
        "valid_from": P.add_months(
            this_month(), 3 - (this_month().month - 1) % 3
        ).isoformat(),
        "minimum_monthly_cents": 600,
        "brackets": [{"lower_cents": 0, "rate_bp": 100}],
        "shares": {"0": 2500, "1": 2500, "2": 2500, "3": 2500},
    }
    assert (
        api_as(treasurer).post(f"{API}/schedules/", body, format="json").status_code
        == 403
    )
    created = api_as(national_treasurer).post(f"{API}/schedules/", body, format="json")
    assert created.status_code == 201, created.content


def test_unit_members_with_standing(tree, schedule, treasurer, member, api_as):
    services.charges_issue()
    rows = api_as(treasurer).get(f"{API}/units/{tree.cell_a1x.slug}/members/").json()
    assert {r["email"] for r in rows["results"]} >= {member.email}
    assert all(r["standing"]["state"] == "up_to_date" for r in rows["results"])


def test_anonymous_gets_401(client):
    assert client.get(f"{API}/me/").status_code in (401, 403)


# --- One amount parser, euros only (issue 17) ----------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12,5", 1250),
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        ("1\u202f234,56", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("7,50 €", 750),
        ("1 000", 100000),
    ],
)
def test_amounts_are_read_as_people_write_them(text, cents):
    assert services.parse_euros(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e3", "exponent"),
        ("1E3", "exponent"),
        ("1.000", "ambiguous"),
        ("1,000", "ambiguous"),
        ("12,3456", "fraction of a cent"),
        ("douze", "not an amount"),
    ],
)
def test_exponents_and_ambiguous_thousands_are_refused(text, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        services.parse_euros(text)


def test_api_reads_amounts_with_the_same_parser(schedule, treasurer, member, api_as):
    client = api_as(treasurer)
    data = payment(member, idempotency_key="a1")
    del data["amount_cents"]
    ok = client.post(f"{API}/payments/", {**data, "amount": "12,50"}, format="json")
    assert ok.status_code == 201 and ok.json()["amount_cents"] == 1250
    for bad in ("1e3", "1.000"):
        refused = client.post(
            f"{API}/payments/",
            {**data, "amount": bad, "idempotency_key": bad},
            format="json",
        )
        assert refused.status_code == 400 and "amount" in refused.json()


@pytest.mark.parametrize("currency", ["USD", "GBP", "euro"])
def test_api_refuses_any_currency_but_eur(
    schedule, treasurer, member, api_as, currency
):
    response = api_as(treasurer).post(
        f"{API}/payments/",
        payment(member, idempotency_key="c", currency=currency),
        format="json",
    )
    assert response.status_code == 400
    assert "currency" in response.json()
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    eur = api_as(treasurer).post(
        f"{API}/payments/",
        payment(member, idempotency_key="e", currency="EUR"),
        format="json",
    )
    assert eur.status_code == 201
