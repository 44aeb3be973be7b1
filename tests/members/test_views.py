"""The pages a member, a secretary and a visitor use."""

import pytest

from federation.models import Territory
from members import services
from members.models import Application, Membership


def test_visitor_home_links_to_joining_and_login(client, db):
    page = client.get("/").content.decode()
    assert "/join/" in page and "/accounts/login/" in page


def test_home_is_french_by_default(client, db):
    from organising import settings as project_settings

    assert project_settings.LANGUAGE_CODE == "fr"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"
    assert "Adhérer près de chez vous" in response.content.decode()


def test_english_is_available(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Join near you" in response.content.decode()


def test_my_units_shows_cell_section_federation_and_national(
    tree, member, client_as, django_assert_max_num_queries
):
    client = client_as(member)
    # Session and user (4), the viewer (4), the nav's counters, then the page itself.
    with django_assert_max_num_queries(20):
        page = client.get("/units/").content.decode()
    for unit in (tree.national, tree.fed_a, tree.section_a1, tree.cell_a1x):
        assert unit.name in page
    assert tree.section_a2.name not in page


def test_unit_page_shows_breadcrumb_children_and_member_link_for_officers(
    tree, member, section_secretary, client_as
):
    page = client_as(member).get(f"/units/{tree.section_a1.slug}/").content.decode()
    assert tree.fed_a.name in page and tree.cell_a1y.name in page
    assert f"/units/{tree.section_a1.slug}/members/" not in page
    officer_page = client_as(section_secretary).get(f"/units/{tree.section_a1.slug}/")
    assert f"/units/{tree.section_a1.slug}/members/" in officer_page.content.decode()


def test_members_page_is_not_found_for_plain_members(tree, member, client_as):
    """Even their own cell's member list: it exists only for its officers."""
    assert (
        client_as(member).get(f"/units/{tree.cell_a1x.slug}/members/").status_code
        == 404
    )


def test_members_page_filters_by_status_and_search(
    tree, make_member, section_secretary, client_as, django_assert_max_num_queries
):
    make_member(tree.cell_a1x, display_name="Zoé Sympathique", status="sympathiser")
    make_member(tree.cell_a1y, display_name="Adam Adhérent")
    for _ in range(20):
        make_member(tree.cell_a1y)
    client = client_as(section_secretary)
    url = f"/units/{tree.section_a1.slug}/members/"
    with django_assert_max_num_queries(22):
        page = client.get(url, {"status": "sympathiser"}).content.decode()
    assert "Zoé Sympathique" in page and "Adam Adhérent" not in page
    page = client.get(url, {"q": "adam"}).content.decode()
    assert "Adam Adhérent" in page and "Zoé" not in page


def test_members_list_is_keyset_paginated(
    tree, make_member, section_secretary, client_as
):
    for n in range(55):
        make_member(tree.cell_a1y, display_name=f"Membre {n:02d}")
    client = client_as(section_secretary)
    url = f"/units/{tree.section_a1.slug}/members/"
    first = client.get(url)
    cursor = first.context["page"].next_cursor
    assert cursor and len(first.context["page"].items) == 50
    second = client.get(url, {"after": cursor})
    names = [m.user.display_name for m in second.context["page"].items]
    assert names and all(n > cursor.split("|")[0] for n in names)


def test_htmx_filter_returns_only_the_rows(tree, section_secretary, client_as):
    response = client_as(section_secretary).get(
        f"/units/{tree.section_a1.slug}/members/", {"q": "x"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in response.content and b"<tr>" in response.content


def test_secretary_invites_from_the_page_and_bad_email_shows_a_field_error(
    tree, cell_secretary, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_as(cell_secretary)
    url = f"/units/{tree.cell_a1x.slug}/invite/"
    bad = client.post(url, {"email": "nope", "status": "adherent"})
    assert bad.status_code == 200 and bad.context["form"].errors["email"]
    with django_capture_on_commit_callbacks(execute=True):
        good = client.post(url, {"email": "new@example.org", "status": "adherent"})
    assert good.status_code == 302
    assert len(mailoutbox) == 1


def test_invitation_page_shows_password_errors_then_logs_the_member_in(
    tree, cell_secretary, client
):
    _inv, secret = services.invitation_create(
        unit=tree.cell_a1x, email="inv@example.org", by=cell_secretary
    )
    url = f"/invitation/{secret}/"
    weak = client.post(
        url, {"display_name": "Inès", "password": "123", "password_again": "123"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors["password"]
    ok = client.post(
        url,
        {
            "display_name": "Inès",
            "password": "long-enough-pass",
            "password_again": "long-enough-pass",
        },
    )
    assert ok.status_code == 302 and ok.url == "/welcome/"
    welcome = client.get(ok.url)
    assert welcome.status_code == 200 and tree.cell_a1x.name in welcome.content.decode()
    used = client.get(url)
    assert used.status_code == 410


def test_transfer_page_offers_only_cells_the_secretary_administers(
    tree, section_secretary, member, client_as
):
    client = client_as(section_secretary)
    page = client.get(f"/members/{member.public_id}/transfer/")
    offered = set(page.context["form"].fields["to_cell"].queryset)
    assert offered == {tree.cell_a1y}
    client.post(f"/members/{member.public_id}/transfer/", {"to_cell": tree.cell_a1y.pk})
    assert Membership.objects.current().get(user=member).unit == tree.cell_a1y


def test_transfer_of_a_member_outside_my_units_is_404(
    tree, cell_secretary, make_member, client_as
):
    stranger = make_member(tree.cell_b1x)
    assert (
        client_as(cell_secretary)
        .get(f"/members/{stranger.public_id}/transfer/")
        .status_code
        == 404
    )


def test_mark_as_former_asks_for_confirmation(tree, cell_secretary, member, client_as):
    client = client_as(cell_secretary)
    assert client.get(f"/members/{member.public_id}/end/").status_code == 200
    assert Membership.objects.current().filter(user=member).exists()
    client.post(f"/members/{member.public_id}/end/")
    assert not Membership.objects.current().filter(user=member).exists()


def test_secretary_creates_a_cell_but_not_under_a_cell(
    tree, section_secretary, client_as
):
    client = client_as(section_secretary)
    assert (
        client.post(
            f"/units/{tree.section_a1.slug}/new/", {"name": "Cellule Neuve"}
        ).status_code
        == 302
    )
    assert client.get(f"/units/{tree.cell_a1x.slug}/new/").status_code == 200
    refused = client.post(f"/units/{tree.cell_a1x.slug}/new/", {"name": "Sous-cellule"})
    assert refused.status_code == 200 and refused.context["form"].errors


@pytest.fixture
def covered(tree):
    Territory.objects.create(unit=tree.cell_a1x, commune="Lyon 1er", postcode="69001")
    Territory.objects.create(unit=tree.section_a1, commune="Lyon 1er", postcode="69001")
    Territory.objects.create(unit=tree.section_a1, commune="Caluire", postcode="69300")
    return tree


def test_join_finds_the_cell_by_postcode_and_sends_the_request(covered, client):
    page = client.get("/join/", {"postcode": "69001"})
    assert page.context["found"]["cell"] == covered.cell_a1x
    response = client.post(
        "/join/?postcode=69001",
        {"display_name": "Yanis B", "email": "yanis@example.org", "commune": "Lyon"},
    )
    assert response.status_code == 200
    application = Application.objects.get(email="yanis@example.org")
    assert application.unit == covered.cell_a1x and application.postcode == "69001"


def test_join_falls_back_to_the_section_then_the_nearest_section(covered, client):
    assert (
        client.get("/join/", {"postcode": "69300"}).context["found"]["section"]
        == covered.section_a1
    )
    nearest = client.get("/join/", {"postcode": "69009"}).context["found"]
    assert nearest["section"] == covered.section_a1 and nearest.get("nearest")


def test_join_with_a_malformed_postcode_shows_an_error(db, client):
    page = client.get("/join/", {"postcode": "6900"})
    assert page.context["postcode_form"].errors["postcode"]


def test_secretary_accepts_an_application_from_the_admin_page(
    covered, cell_secretary, client_as
):
    application = services.application_submit(
        unit=covered.cell_a1x,
        email="a@example.org",
        display_name="Ana",
        postcode="69001",
    )
    client = client_as(cell_secretary)
    assert "Ana" in client.get("/admin-units/").content.decode()
    client.post(f"/applications/{application.pk}/decide/", {"decision": "accept"})
    assert (
        Membership.objects.current().get(user__email="a@example.org").unit
        == covered.cell_a1x
    )


def test_application_of_another_cell_is_404(covered, cell_secretary, client_as):
    application = services.application_submit(
        unit=covered.cell_a1y, email="b@example.org", display_name="B", postcode="69002"
    )
    response = client_as(cell_secretary).post(
        f"/applications/{application.pk}/decide/", {"decision": "accept"}
    )
    assert response.status_code == 404


def test_token_page_shows_the_secret_once(member, client_as):
    client = client_as(member)
    created = client.post("/me/tokens/", {"name": "tableur"}).content.decode()
    assert "mlg_" in created
    assert "mlg_" not in client.get("/me/tokens/").content.decode().replace(
        member.api_tokens.get().hint, ""
    )


def test_logout_everywhere_ends_other_sessions(member, client_as):
    phone, laptop = client_as(member), client_as(member)
    laptop.post("/me/logout-everywhere/")
    assert phone.get("/units/").status_code == 302


def test_member_profile_respects_shared_fields(tree, make_member, member, client_as):
    other = make_member(
        tree.cell_b1x, phone="0601020304", commune="Lille", shared_fields=["commune"]
    )
    page = client_as(member).get(f"/members/{other.public_id}/").content.decode()
    assert "Lille" in page and "0601020304" not in page


def test_former_member_cannot_see_member_profiles(
    tree, make_member, outsider, client_as
):
    other = make_member(tree.cell_b1x)
    assert client_as(outsider).get(f"/members/{other.public_id}/").status_code == 404


def test_admin_requires_the_site_login(db, client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert (
        "/accounts/login/" in response["Location"]
        or "/admin/login/" in response["Location"]
    )
    follow = client.get("/admin/login/")
    assert follow.status_code == 302 and "/accounts/login/" in follow["Location"]


def test_login_is_rate_limited_after_repeated_failures(member, client):
    for _ in range(5):
        client.post(
            "/accounts/login/", {"login": member.email, "password": "wrong-password"}
        )
    blocked = client.post(
        "/accounts/login/", {"login": member.email, "password": "correct-horse-battery"}
    )
    # Even the right password is refused while the limit holds.
    assert blocked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_login_starts_a_new_session(member, client):
    client.get("/accounts/login/")
    before = client.session.session_key
    client.post(
        "/accounts/login/", {"login": member.email, "password": "correct-horse-battery"}
    )
    assert client.session.session_key != before
    assert client.get("/units/").status_code == 200


def test_password_change_ends_the_other_sessions(member, client_as):
    phone, laptop = client_as(member), client_as(member)
    laptop.post(
        "/accounts/password/change/",
        {
            "oldpassword": "correct-horse-battery",
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )
    assert laptop.get("/units/").status_code == 200
    assert phone.get("/units/").status_code == 302


def test_mfa_activation_ends_the_other_sessions(member, client_as):
    from allauth.mfa import signals

    phone, laptop = client_as(member), client_as(member)
    request = laptop.get("/me/").wsgi_request
    signals.authenticator_added.send(
        sender=type(member), request=request, user=member, authenticator=None
    )
    assert phone.get("/units/").status_code == 302


def test_members_export_is_recorded_in_the_trail(
    tree, member, section_secretary, client_as
):
    from organising.audit.models import AuditEntry

    response = client_as(section_secretary).get(
        f"/units/{tree.section_a1.slug}/members.csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert member.email in response.content.decode()
    entry = AuditEntry.objects.get(action="members.export")
    assert entry.actor == section_secretary and entry.data["count"] == 2


def test_officer_without_secretary_office_cannot_export(tree, make_member, client_as):
    officer = make_member(tree.cell_a1x, roles=[(tree.section_a1, "officer")])
    response = client_as(officer).get(f"/units/{tree.section_a1.slug}/members.csv")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/password/change/",
        "/accounts/sessions/",
        "/accounts/email/",
    ],
)
def test_account_security_pages_render_in_the_site_layout(member, client, path):
    client.post(
        "/accounts/login/", {"login": member.email, "password": "correct-horse-battery"}
    )
    client.post("/accounts/reauthenticate/", {"password": "correct-horse-battery"})
    response = client.get(path)
    assert response.status_code == 200
    assert 'class="topbar"' in response.content.decode()


def test_totp_activation_with_a_valid_code(member, client):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    client.post(
        "/accounts/login/", {"login": member.email, "password": "correct-horse-battery"}
    )
    client.post("/accounts/reauthenticate/", {"password": "correct-horse-battery"})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]
    counter = next(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counter))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=member, type="totp").exists()
