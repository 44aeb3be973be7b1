"""Contacts: adding, editing, sharing, reassigning, merging, duplicates, erasure and
the invitation that turns a contact into a member."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from federation import access
from members import services as member_services
from members.models import Invitation
from organising.audit.models import AuditEntry
from organising.contacts import selectors, services
from organising.contacts.models import Consent, Contact, ContactShare, Interaction

pytestmark = pytest.mark.django_db


def test_a_member_adds_a_contact_met_at_the_market_and_follows_it(member, add_contact):
    contact = add_contact(
        email=" Marie@Example.ORG ", phone="06 12 34 56 78", tags="Marché, logement"
    )
    assert contact.follower == member
    assert contact.email == "marie@example.org"
    assert contact.phone == "+33612345678"
    assert contact.tag_list == ["logement", "marché"]
    assert contact.interactions.get().kind == Interaction.Kind.MET
    assert contact.consents.get().covers == {"email", "phone"}
    assert AuditEntry.objects.filter(
        action="contact.create", target_id=str(contact.pk)
    ).exists()


def test_bad_phone_and_email_name_their_field(add_contact):
    with pytest.raises(ValidationError) as error:
        add_contact(phone="12345", email="nope")
    assert set(error.value.message_dict) == {"phone", "email"}
    assert not Contact.objects.exists()


def test_a_contact_needs_a_name_an_email_or_a_phone(add_contact):
    with pytest.raises(ValidationError) as error:
        add_contact(first_name="", last_name="")
    assert "last_name" in error.value.message_dict


def test_a_member_of_another_cell_cannot_add_to_this_cell(
    tree, make_member, add_contact
):
    with pytest.raises(PermissionDenied):
        add_contact(by=make_member(tree.cell_b1x))


def test_sharing_with_a_member_of_the_unit_lets_them_see_it(
    tree, member, make_member, add_contact
):
    contact = add_contact()
    colleague = make_member(tree.cell_a1x)
    assert not access.can(colleague, "contact.view", contact)
    services.contact_share(contact=contact, member=colleague, by=member)
    services.contact_share(contact=contact, member=colleague, by=member)  # idempotent
    assert ContactShare.objects.count() == 1
    assert access.can(colleague, "contact.view", contact)
    assert not access.can(colleague, "contact.edit", contact)
    services.interaction_add(
        contact=contact, by=colleague, kind="called", note="Rappeler"
    )
    rows, _cursor = selectors.contacts_search(colleague)
    assert [c.pk for c in rows] == [contact.pk]


def test_sharing_outside_the_unit_is_refused(tree, member, make_member, add_contact):
    contact = add_contact()
    with pytest.raises(ValidationError) as error:
        services.contact_share(
            contact=contact, member=make_member(tree.cell_b1x), by=member
        )
    assert "member" in error.value.message_dict


def test_officers_reassign_members_do_not(
    tree, member, secretary, make_member, add_contact
):
    contact = add_contact()
    colleague = make_member(tree.cell_a1x)
    with pytest.raises(PermissionDenied):
        services.contact_reassign(contact=contact, follower=colleague, by=member)
    services.contact_reassign(contact=contact, follower=colleague, by=secretary)
    contact.refresh_from_db()
    assert contact.follower == colleague
    assert not access.can(member, "contact.view", contact)
    assert access.can(colleague, "contact.edit", contact)


def test_officers_above_see_the_cells_contacts(tree, make_member, add_contact):
    contact = add_contact()
    federation_officer = make_member(tree.cell_a2x, roles=[(tree.fed_a, "officer")])
    other_federation = make_member(tree.cell_b1x, roles=[(tree.fed_b, "secretary")])
    assert access.can(federation_officer, "contact.view", contact)
    assert not access.can(other_federation, "contact.view", contact)
    rows, _ = selectors.contacts_search(other_federation)
    assert rows == []


def test_merge_keeps_every_interaction_and_the_oldest_consent(
    secretary, add_contact, now
):
    older = add_contact(
        first_name="Marie", last_name="Dupont", commune="Lyon", phone="0612345678"
    )
    Consent.objects.filter(contact=older).update(given_at=now - timedelta(days=400))
    newer = add_contact(
        first_name="Marie",
        last_name="Dupond",
        commune="Lyon",
        email="m@example.org",
        tags="tram",
    )
    services.interaction_add(contact=newer, by=secretary, kind="event", note="Réunion")
    kept = services.contact_merge(keep=newer, other=older, by=secretary)
    assert Contact.objects.count() == 1
    assert kept.interactions.count() == 3
    assert kept.consents.count() == 2
    assert kept.consents.order_by("given_at").first().given_at == now - timedelta(
        days=400
    )
    assert kept.phone == "+33612345678"  # filled from the other
    assert kept.email == "m@example.org"
    assert kept.created_at <= older.created_at


def test_a_member_cannot_merge(member, add_contact):
    a, b = add_contact(), add_contact(last_name="Durand")
    with pytest.raises(PermissionDenied):
        services.contact_merge(keep=a, other=b, by=member)


def test_likely_duplicates_same_phone_or_close_names_in_the_same_commune(
    tree, secretary, add_contact
):
    a = add_contact(first_name="Marie", last_name="Dupont", commune="Lyon")
    b = add_contact(first_name="Marie", last_name="Dupond", commune="Lyon")
    add_contact(first_name="Marie", last_name="Dupont", commune="Villeurbanne")
    c = add_contact(first_name="Jean", last_name="Martin", phone="06 11 22 33 44")
    d = add_contact(first_name="J.", last_name="Martin-Roux", phone="+33611223344")
    add_contact(first_name="Paul", last_name="Petit", commune="Lyon")
    pairs = selectors.duplicates_in(secretary, tree.cell_a1x)
    found = {(p.reason, frozenset({p.first.pk, p.second.pk})) for p in pairs}
    assert found == {
        ("phone", frozenset({c.pk, d.pk})),
        ("name", frozenset({a.pk, b.pk})),
    }


def test_erasure_removes_the_history(secretary, add_contact):
    contact = add_contact()
    services.contact_erase(contact=contact, by=secretary)
    assert not Contact.objects.exists() and not Interaction.objects.exists()


def test_an_invited_contact_who_joins_keeps_its_history(
    tree, secretary, add_contact, django_capture_on_commit_callbacks
):
    contact = add_contact(email="marie@example.org", by=secretary)
    with django_capture_on_commit_callbacks(execute=True):
        services.contact_invite(contact=contact, by=secretary)
    invitation = Invitation.objects.get(email="marie@example.org")
    raw = mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]
    user = member_services.invitation_accept(
        raw_token=raw, password="Une phrase longue 2026!", display_name="Marie Dupont"
    )
    contact.refresh_from_db()
    assert contact.invitation == invitation
    assert contact.member == user
    kinds = list(contact.interactions.values_list("kind", flat=True))
    assert kinds[0] == Interaction.Kind.JOINED and Interaction.Kind.MET in kinds


def test_search_by_name_inside_email_and_phone_typed_any_way(member, add_contact):
    contact = add_contact(
        first_name="Élodie",
        last_name="Müller",
        email="elo@example.org",
        phone="0612457890",
    )
    add_contact(first_name="Paul", last_name="Petit", phone="0698765432")
    for query in (
        "müll",
        "ELODIE",
        "odie mu",
        "elo@ex",
        "06 12 45",
        "+33 6 12 45 78",
        "457890",
    ):
        rows, _ = selectors.contacts_search(member, query=query)
        assert [c.pk for c in rows] == [contact.pk], query
    rows, _ = selectors.contacts_search(member, query="zzz")
    assert rows == []


def test_contact_pages_follow_name_order_with_a_cursor(member, add_contact):
    for name in ("Durand", "Bernard", "Aubry", "Caron"):
        add_contact(first_name="", last_name=name)
    first, cursor = selectors.contacts_search(member, limit=3)
    assert [c.last_name for c in first] == ["Aubry", "Bernard", "Caron"]
    rest, end = selectors.contacts_search(member, limit=3, after=cursor)
    assert [c.last_name for c in rest] == ["Durand"] and end == ""
