"""Join requests without dead ends: officers hear of them, the applicant is answered,
a section or the national level can accept, the first password lands on a welcome
page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from federation.models import Territory
from members import joining, services
from members.models import Application, Membership, Role
from organising.audit.models import AuditEntry
from organising.messaging.models import Notification


@pytest.fixture
def covered(tree):
    Territory.objects.create(unit=tree.cell_a1x, commune="Lyon 1er", postcode="69001")
    Territory.objects.create(unit=tree.section_a1, commune="Caluire", postcode="69300")
    return tree


def _submit(client, postcode, email="sami@example.org", name="Sami Visiteur"):
    return client.post(
        f"/join/?postcode={postcode}", {"display_name": name, "email": email}
    )


def test_a_request_is_mailed_to_the_cell_secretary_and_acknowledged(
    covered,
    cell_secretary,
    section_secretary,
    client,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, "69001")
    to_officers, to_applicant = mail.outbox
    # The nearest level with someone who may decide: the cell, not the section.
    assert to_officers.to == [cell_secretary.email]
    assert "Sami Visiteur" in to_officers.subject
    assert "http://" in to_officers.body and "/admin-units/" in to_officers.body
    assert to_applicant.to == ["sami@example.org"]
    assert "received" in to_applicant.subject


def test_a_request_shows_in_the_officers_notifications(
    covered, cell_secretary, client, client_as
):
    _submit(client, "69001")
    officer = client_as(cell_secretary)
    page = officer.get("/notifications/").content.decode()
    assert "Sami Visiteur → Cellule A1x" in page
    assert "a request to join waits for your answer" in page
    assert 'href="/admin-units/"' in page
    assert Notification.objects.get(recipient=cell_secretary).kind == "join"


def test_the_administration_link_counts_waiting_requests(
    covered, cell_secretary, section_secretary, member, client, client_as
):
    _submit(client, "69001")
    for officer in (cell_secretary, section_secretary):  # the section sees it too
        page = client_as(officer).get("/units/").content.decode()
        assert re.search(r"requests to join waiting: </span>1</span>", page)
    page = client_as(member).get("/units/").content.decode()
    assert "requests to join waiting" not in page


def test_a_postcode_covered_by_a_section_only_is_accepted_into_the_section(
    covered, section_secretary, client, client_as
):
    _submit(client, "69300")
    application = Application.objects.get(email="sami@example.org")
    assert application.unit == covered.section_a1
    response = client_as(section_secretary).post(
        f"/applications/{application.pk}/decide/", {"decision": "accept"}, follow=True
    )
    assert "Sami Visiteur is welcomed." in response.content.decode()
    membership = Membership.objects.current().get(user__email="sami@example.org")
    assert membership.unit == covered.section_a1
    # ... and placed in a cell later by the section's secretary.
    services.membership_transfer(
        member=membership.user, to_cell=covered.cell_a1y, by=section_secretary
    )
    assert (
        Membership.objects.current().get(user__email="sami@example.org").unit
        == covered.cell_a1y
    )


def test_a_postcode_covered_by_nobody_goes_to_the_national_officers(
    tree, make_member, client, django_capture_on_commit_callbacks
):
    national = make_member(tree.cell_b1x, roles=[(tree.national, Role.Kind.SECRETARY)])
    page = client.get("/join/", {"postcode": "75001"}).content.decode()
    assert "No unit near you yet" in page and 'name="email"' in page
    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, "75001")
    assert Application.objects.get(email="sami@example.org").unit == tree.national
    assert mail.outbox[0].to == [national.email]


def test_waiting_requests_remind_the_officers_and_the_level_above_exactly_once(
    covered, cell_secretary, section_secretary, django_capture_on_commit_callbacks
):
    application = services.application_submit(
        unit=covered.cell_a1x, email="s@example.org", display_name="S", postcode="69001"
    )
    fresh = services.application_submit(
        unit=covered.cell_a1x, email="t@example.org", display_name="T", postcode="69001"
    )
    Application.objects.filter(pk=application.pk).update(
        created_at=timezone.now() - timedelta(days=4)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert joining.applications_remind() == 1
        assert joining.applications_remind() == 0  # once only
    (reminder,) = mail.outbox
    assert set(reminder.to) == {cell_secretary.email, section_secretary.email}
    assert "still waiting" in reminder.subject
    marks = AuditEntry.objects.filter(action=joining.REMIND_ACTION)
    assert [m.target_id for m in marks] == [str(application.pk)]
    assert fresh.pk != application.pk


def test_the_accepted_applicant_chooses_a_password_and_lands_on_the_welcome_page(
    covered, cell_secretary, client, django_capture_on_commit_callbacks
):
    application = services.application_submit(
        unit=covered.cell_a1x,
        email="s@example.org",
        display_name="Sami",
        postcode="69001",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(
            application=application, accept=True, by=cell_secretary
        )
    link = re.search(r"http\S+/welcome/password/\S+/", mail.outbox[-1].body).group(0)
    path = link.removeprefix("http://127.0.0.1:8000")
    weak = client.post(path, {"password": "short", "password_again": "short"})
    assert weak.status_code == 200 and weak.context["form"].errors
    response = client.post(
        path,
        {"password": "une-phrase-longue", "password_again": "une-phrase-longue"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/welcome/"
    page = response.content.decode()
    assert "Welcome, Sami!" in page
    assert covered.cell_a1x.name in page
    assert cell_secretary.display_name in page  # its officers
    assert "What to do first" in page
    # The link works once.
    assert client.get(path).status_code == 410
