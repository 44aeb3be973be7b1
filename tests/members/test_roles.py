"""Offices: a secretary gives one to an adherent of the unit or below and ends it;
each step is audited and changes what the holder may do at once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from federation import access
from members import services
from members.models import Role
from organising.audit.models import AuditEntry


def test_a_secretary_gives_an_office_that_grants_its_rights_at_once(
    tree, cell_secretary, make_member
):
    bob = make_member(tree.cell_a1x)
    assert not access.can(bob, "dues.manage", tree.cell_a1x)
    role = services.role_assign(
        member=bob, unit=tree.cell_a1x, kind=Role.Kind.TREASURER, by=cell_secretary
    )
    access.forget_viewer(bob)
    assert access.can(bob, "dues.manage", tree.cell_a1x)
    entry = AuditEntry.objects.get(action="role.assign")
    assert entry.actor == cell_secretary and entry.unit == tree.cell_a1x
    assert entry.data == {"kind": "treasurer"}
    again = services.role_assign(
        member=bob, unit=tree.cell_a1x, kind=Role.Kind.TREASURER, by=cell_secretary
    )
    assert again.pk == role.pk
    assert AuditEntry.objects.filter(action="role.assign").count() == 1


def test_ending_an_office_takes_its_rights_away(tree, cell_secretary, make_member):
    bob = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    role = bob.roles.get()
    assert access.can(bob, "dues.manage", tree.cell_a1x)
    services.role_end(role=role, by=cell_secretary)
    access.forget_viewer(bob)
    role.refresh_from_db()
    assert role.ended_on is not None
    assert not access.can(bob, "dues.manage", tree.cell_a1x)
    assert AuditEntry.objects.filter(action="role.end", unit=tree.cell_a1x).exists()
    services.role_end(role=role, by=cell_secretary)
    assert AuditEntry.objects.filter(action="role.end").count() == 1


def test_offices_go_to_adherents_of_the_unit_or_below(
    tree, section_secretary, make_member
):
    below = make_member(tree.cell_a1x)
    services.role_assign(
        member=below, unit=tree.section_a1, kind="officer", by=section_secretary
    )
    for person in (
        make_member(tree.cell_a2x),  # another section
        make_member(tree.cell_a1x, status="sympathiser"),
        make_member(None),  # former member
    ):
        with pytest.raises(ValidationError) as error:
            services.role_assign(
                member=person,
                unit=tree.section_a1,
                kind="officer",
                by=section_secretary,
            )
        assert "member" in error.value.error_dict
    with pytest.raises(ValidationError):
        services.role_assign(
            member=below, unit=tree.section_a1, kind="king", by=section_secretary
        )


def test_only_a_secretary_of_the_unit_or_above_gives_or_ends_offices(
    tree, cell_secretary, make_member
):
    bob = make_member(tree.cell_a1x)
    officer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    for by in (bob, officer, treasurer):
        with pytest.raises(PermissionDenied):
            services.role_assign(member=bob, unit=tree.cell_a1x, kind="officer", by=by)
    # A cell's secretary has no say over the section's offices.
    section_officer = make_member(
        tree.cell_a1x, roles=[(tree.section_a1, Role.Kind.OFFICER)]
    )
    with pytest.raises(PermissionDenied):
        services.role_end(role=section_officer.roles.get(), by=cell_secretary)
    with pytest.raises(PermissionDenied):
        services.role_end(role=treasurer.roles.get(), by=officer)


def test_the_members_page_gives_and_ends_offices(
    tree, cell_secretary, make_member, client_as
):
    bob = make_member(tree.cell_a1x, display_name="Bob Durand")
    client = client_as(cell_secretary)
    page = client.get(f"/units/{tree.cell_a1x.slug}/members/").content.decode()
    assert "Give this office" in page
    response = client.post(
        f"/units/{tree.cell_a1x.slug}/offices/",
        {"email": bob.email.upper(), "kind": "treasurer"},
    )
    assert response.status_code == 302
    role = bob.roles.get(ended_on__isnull=True)
    assert role.kind == "treasurer" and role.unit == tree.cell_a1x
    page = client.get(f"/units/{tree.cell_a1x.slug}/members/").content.decode()
    assert "End the office of Bob Durand" in page
    response = client.post(f"/units/{tree.cell_a1x.slug}/offices/{role.pk}/end/")
    assert response.status_code == 302
    assert not bob.roles.filter(ended_on__isnull=True).exists()


def test_an_unknown_address_and_one_elsewhere_get_the_same_answer(
    tree, cell_secretary, make_member, client_as
):
    elsewhere = make_member(tree.cell_b1x)
    client = client_as(cell_secretary)
    answers = []
    for email in (elsewhere.email, "nobody@example.org"):
        response = client.post(
            f"/units/{tree.cell_a1x.slug}/offices/", {"email": email, "kind": "officer"}
        )
        assert response.status_code == 400
        text = response.content.decode()
        assert "Only an adherent of this unit or below can hold its offices." in text
        answers.append(text.count("errorlist"))
    assert answers[0] == answers[1]
    assert not Role.objects.filter(user=elsewhere).exists()


def test_members_without_the_right_see_no_office_form(tree, make_member, client_as):
    treasurer = make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    client = client_as(treasurer)
    page = client.get(f"/units/{tree.cell_a1x.slug}/members/").content.decode()
    assert "Give this office" not in page
    response = client.post(
        f"/units/{tree.cell_a1x.slug}/offices/",
        {"email": treasurer.email, "kind": "secretary"},
    )
    assert response.status_code == 403
    assert not Role.objects.filter(kind="secretary", user=treasurer).exists()
