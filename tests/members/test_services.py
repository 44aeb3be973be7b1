"""Invitations, transfers, former members, join requests, tokens: each rule and each
bad input, with the database unchanged after a refusal."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from federation.models import Unit
from federation.services import unit_create
from members import services
from members.models import ApiToken, Application, Invitation, Membership, User
from organising.audit.models import AuditEntry


def test_invitation_sends_a_link_that_creates_the_account_in_the_cell(
    tree, cell_secretary, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, secret = services.invitation_create(
            unit=tree.cell_a1x, email=" New.Person@Example.org ", by=cell_secretary
        )
    assert invitation.email == "new.person@example.org"
    assert len(mailoutbox) == 1 and secret in mailoutbox[0].body

    user = services.invitation_accept(
        raw_token=secret, password="a-long-enough-passphrase", display_name="Nina Roux"
    )
    membership = Membership.objects.current().get(user=user)
    assert membership.unit == tree.cell_a1x and membership.status == "adherent"
    assert user.check_password("a-long-enough-passphrase")
    assert AuditEntry.objects.filter(
        action="member.invite", actor=cell_secretary
    ).exists()


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x@@example.org"])
def test_malformed_invitation_email_is_refused(tree, cell_secretary, email):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(unit=tree.cell_a1x, email=email, by=cell_secretary)
    assert "email" in error.value.error_dict
    assert not Invitation.objects.exists()


def test_invitation_used_twice_is_refused(tree, cell_secretary):
    _inv, secret = services.invitation_create(
        unit=tree.cell_a1x, email="a@example.org", by=cell_secretary
    )
    services.invitation_accept(
        raw_token=secret, password="a-long-enough-passphrase", display_name="A"
    )
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(
            raw_token=secret, password="another-long-passphrase", display_name="B"
        )
    assert Membership.objects.filter(user__email="a@example.org").count() == 1


def test_expired_invitation_is_refused(tree, cell_secretary):
    invitation, secret = services.invitation_create(
        unit=tree.cell_a1x, email="late@example.org", by=cell_secretary
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="expired"):
        services.invitation_accept(
            raw_token=secret, password="a-long-enough-passphrase", display_name="L"
        )
    assert not User.objects.filter(email="late@example.org").exists()


def test_weak_password_is_refused_and_nothing_is_created(tree, cell_secretary):
    _inv, secret = services.invitation_create(
        unit=tree.cell_a1x, email="weak@example.org", by=cell_secretary
    )
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(raw_token=secret, password="1234", display_name="W")
    assert "password" in error.value.error_dict
    assert not User.objects.filter(email="weak@example.org").exists()
    assert Invitation.objects.get(email="weak@example.org").state == "pending"


def test_invitation_into_a_section_is_refused(tree, section_secretary):
    with pytest.raises(ValidationError, match="cell"):
        services.invitation_create(
            unit=tree.section_a1, email="s@example.org", by=section_secretary
        )


def test_invitation_outside_the_secretarys_units_is_forbidden(tree, cell_secretary):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            unit=tree.cell_a1y, email="s@example.org", by=cell_secretary
        )


def test_inviting_a_current_member_is_refused(tree, cell_secretary, member):
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_create(
            unit=tree.cell_a1x, email=member.email, by=cell_secretary
        )


def test_section_secretary_transfers_between_their_cells_and_history_is_kept(
    tree, section_secretary, member
):
    new = services.membership_transfer(
        member=member, to_cell=tree.cell_a1y, by=section_secretary
    )
    periods = list(Membership.objects.filter(user=member).order_by("pk"))
    assert [p.unit for p in periods] == [tree.cell_a1x, tree.cell_a1y]
    assert periods[0].ended_on is not None and periods[0].end_reason == "transfer"
    assert new.is_current and new.status == "adherent"
    # Both cells' histories show it.
    assert AuditEntry.objects.filter(
        action="membership.transfer", unit=tree.cell_a1x
    ).exists()
    assert AuditEntry.objects.filter(
        action="membership.transfer", unit=tree.cell_a1y
    ).exists()


def test_transfer_to_a_cell_the_secretary_does_not_administer_changes_nothing(
    tree, cell_secretary, member
):
    with pytest.raises(ValidationError) as error:
        services.membership_transfer(
            member=member, to_cell=tree.cell_b1x, by=cell_secretary
        )
    assert "to_cell" in error.value.error_dict
    assert Membership.objects.current().get(user=member).unit == tree.cell_a1x
    assert Membership.objects.filter(user=member).count() == 1


def test_transfer_to_a_section_is_refused(tree, section_secretary, member):
    with pytest.raises(ValidationError):
        services.membership_transfer(
            member=member, to_cell=tree.section_a1, by=section_secretary
        )
    assert Membership.objects.filter(user=member).count() == 1


def test_the_database_refuses_two_home_cells(tree, member):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=member, unit=tree.cell_a1y, status="adherent")


def test_second_home_cell_through_the_service_is_a_clear_error(
    tree, section_secretary, member
):
    with pytest.raises(ValidationError, match="home cell"):
        services.membership_create(
            member=member, unit=tree.cell_a1y, by=section_secretary
        )


def test_marking_former_ends_the_period_roles_sessions_and_tokens(
    tree, cell_secretary, make_member, client_as
):
    officer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, "treasurer")])
    client = client_as(officer)
    services.token_create(user=officer, name="sheet")
    assert client.get("/units/").status_code == 200

    services.membership_end(member=officer, by=cell_secretary)

    assert not Membership.objects.current().filter(user=officer).exists()
    assert officer.roles.filter(ended_on__isnull=True).count() == 0
    assert client.get("/units/").status_code == 302  # logged out at once
    assert not ApiToken.objects.filter(user=officer, revoked_at__isnull=True).exists()


def test_unit_under_a_cell_is_refused(tree, cell_secretary):
    with pytest.raises(ValidationError, match="no sub-units"):
        unit_create(parent=tree.cell_a1x, name="Sub-cell", by=cell_secretary)


def test_section_secretary_creates_a_cell_with_a_stable_uri(tree, section_secretary):
    cell = unit_create(
        parent=tree.section_a1, name="Cellule Nouvelle", by=section_secretary
    )
    assert Unit.objects.get_parent(cell).pk == tree.section_a1.pk
    assert cell.level.depth == 3
    assert cell.uri.endswith(f"/units/{cell.slug}/") and cell.uri.startswith("http")


def test_application_accepted_gives_an_account_in_the_cell(
    tree, cell_secretary, mailoutbox, django_capture_on_commit_callbacks
):
    application = services.application_submit(
        unit=tree.cell_a1x,
        email="join@example.org",
        display_name="Jo Lin",
        postcode="69001",
    )
    with django_capture_on_commit_callbacks(execute=True):
        user = services.application_decide(
            application=application, accept=True, by=cell_secretary
        )
    assert Membership.objects.current().get(user=user).unit == tree.cell_a1x
    assert not user.has_usable_password()
    # The link to choose a password (then signed in, on the welcome page).
    assert "/welcome/password/" in mailoutbox[0].body


def test_application_answered_twice_is_refused(tree, cell_secretary):
    application = services.application_submit(
        unit=tree.cell_a1x, email="j@example.org", display_name="J", postcode="69001"
    )
    services.application_decide(
        application=application, accept=False, by=cell_secretary
    )
    with pytest.raises(ValidationError, match="already been answered"):
        services.application_decide(
            application=application, accept=True, by=cell_secretary
        )
    assert not User.objects.filter(email="j@example.org").exists()


def test_duplicate_pending_application_is_refused(tree):
    services.application_submit(
        unit=tree.cell_a1x, email="d@example.org", display_name="D", postcode="69001"
    )
    with pytest.raises(ValidationError):
        services.application_submit(
            unit=tree.cell_a1x,
            email="D@example.org",
            display_name="D",
            postcode="69001",
        )
    assert Application.objects.count() == 1


def test_token_secret_is_stored_only_as_a_hash(member):
    token, secret = services.token_create(user=member, name="script")
    assert secret.startswith("mlg_") and secret not in token.key_hash
    assert token.hint == secret[:8]


def test_token_needs_a_name(member):
    with pytest.raises(ValidationError):
        services.token_create(user=member, name="  ")


def test_createtoken_command_prints_a_working_secret(member, client):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("createtoken", member.email.upper(), "--name", "cron", stdout=out)
    secret = out.getvalue().strip()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["email"] == member.email
    assert member.api_tokens.get().name == "cron"
    with pytest.raises(CommandError, match="No account"):
        call_command("createtoken", "nobody@example.org")
