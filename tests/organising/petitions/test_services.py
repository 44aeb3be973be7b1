"""Petitions' services: the double opt-in, one signature per address, withdrawal,
abuse limits, routing to the postcode's cell, the lifecycle, sanitised text."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from organising import ratelimits
from organising.petitions import selectors, services
from organising.petitions.models import Petition, Signature

pytestmark = pytest.mark.django_db


def fresh(petition) -> Petition:
    return Petition.objects.get(pk=petition.pk)


def test_a_signature_counts_once_its_link_is_followed(petition, sign, confirm):
    token = sign(petition, "Alice@Example.org ")
    signature = Signature.objects.get()
    assert signature.email == "alice@example.org"
    assert signature.confirmed_at is None
    assert fresh(petition).signature_count == 0
    done = confirm(token)
    assert not done.already
    assert fresh(petition).signature_count == 1
    assert Signature.objects.get().confirmed_at is not None


def test_a_link_followed_twice_counts_once_and_says_so(petition, sign, confirm):
    token = sign(petition)
    confirm(token)
    again = confirm(token)
    assert again.already
    assert fresh(petition).signature_count == 1


def test_an_expired_link_is_refused_and_counts_nothing(petition, sign, confirm):
    token = sign(petition)
    Signature.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        confirm(token)
    assert error.value.code == "expired"
    assert fresh(petition).signature_count == 0


def test_a_wrong_link_is_refused(petition):
    with pytest.raises(ValidationError) as error:
        services.signature_confirm(token="not-a-token")
    assert error.value.code == "invalid"


def test_a_link_to_a_petition_closed_since_is_refused(
    petition, sign, confirm, section_secretary
):
    token = sign(petition)
    services.petition_close(petition=petition, by=section_secretary)
    with pytest.raises(ValidationError) as error:
        confirm(token)
    assert error.value.code == "closed"
    assert fresh(petition).signature_count == 0


def test_signing_again_while_pending_sends_a_new_link_and_keeps_one_row(
    petition, sign, confirm
):
    first = sign(petition, first_name="Alice")
    second = sign(petition, first_name="Alicia")
    assert Signature.objects.count() == 1
    assert Signature.objects.get().first_name == "Alicia"
    with pytest.raises(ValidationError):
        confirm(first)  # replaced by the newer link
    confirm(second)
    assert fresh(petition).signature_count == 1


def test_signing_again_once_confirmed_changes_nothing_and_tells_the_address(
    petition, sign, confirm, mailoutbox
):
    confirm(sign(petition))
    assert sign(petition, "ALICE@example.org", first_name="Mallory") is None
    assert "already signed" in mailoutbox[-1].subject
    assert Signature.objects.get().first_name == "Alice"
    assert fresh(petition).signature_count == 1


def test_withdrawal_deletes_the_signature_and_uncounts_it(petition, sign, confirm):
    token = sign(petition, show_publicly=True)
    confirm(token)
    assert selectors.public_signers(fresh(petition)) == [("Alice", "Lyon 1er")]
    services.signature_withdraw(token=token)
    assert Signature.objects.count() == 0
    assert fresh(petition).signature_count == 0
    assert selectors.public_signers(fresh(petition)) == []
    with pytest.raises(ValidationError):
        services.signature_withdraw(token=token)  # used: nothing more to withdraw
    with pytest.raises(ValidationError):
        services.signature_confirm(token=token)


def test_a_pending_signature_withdrawn_never_counted(petition, sign):
    token = sign(petition)
    services.signature_withdraw(token=token)
    assert fresh(petition).signature_count == 0
    assert Signature.objects.count() == 0


def test_the_public_list_shows_only_first_name_and_commune_of_those_who_allowed(
    petition, sign, confirm
):
    confirm(sign(petition, "a@example.org", first_name="Anne", show_publicly=True))
    confirm(sign(petition, "b@example.org", first_name="Bruno"))
    sign(petition, "c@example.org", first_name="Chloé", show_publicly=True)
    assert selectors.public_signers(fresh(petition)) == [("Anne", "Lyon 1er")]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"first_name": "  "}, "first_name"),
        ({"postcode": ""}, "postcode"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+33 6 12"}, "phone"),
        ({"honeypot": "http://spam.example"}, "website"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    make_petition, territories, fields, field
):
    petition = make_petition(ask_phone=True)
    data = {
        "first_name": "Alice",
        "last_name": "Martin",
        "email": "alice@example.org",
        "postcode": "69001",
        **fields,
    }
    with pytest.raises(ValidationError) as error:
        services.signature_request(petition=petition, **data)
    assert field in error.value.message_dict
    assert Signature.objects.count() == 0


def test_a_phone_is_stored_in_e164(make_petition, territories, sign):
    petition = make_petition(ask_phone=True)
    sign(petition, phone="06 12 34 56 78")
    assert Signature.objects.get().phone == "+33612345678"


def test_a_closed_or_draft_petition_takes_no_signature(
    make_petition, territories, sign, section_secretary
):
    draft = make_petition(open=False)
    with pytest.raises(ValidationError) as error:
        sign(draft)
    assert "petition" in error.value.message_dict
    ended = make_petition(ends_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        sign(ended)
    assert Signature.objects.count() == 0


def test_signing_is_rate_limited_per_address(petition, sign, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "petition_sign": "3/m"}
    with ratelimits.client_scope("203.0.113.5"):
        for n in range(3):
            sign(petition, f"p{n}@example.org", client_address="203.0.113.5")
        with pytest.raises(ratelimits.RateLimited):
            sign(petition, "p9@example.org", client_address="203.0.113.5")
    with ratelimits.client_scope("203.0.113.6"):  # same /24, another address
        sign(petition, "q@example.org", client_address="203.0.113.6")
    assert Signature.objects.count() == 4


def test_signing_is_rate_limited_per_network(petition, sign, settings):
    settings.RATE_LIMITS_NETWORK = {
        **settings.RATE_LIMITS_NETWORK,
        "petition_sign": "4/m",
    }
    for n in range(4):
        address = f"198.51.100.{n + 1}"
        with ratelimits.client_scope(address):
            sign(petition, f"p{n}@example.org", client_address=address)
    with (
        ratelimits.client_scope("198.51.100.77"),
        pytest.raises(ratelimits.RateLimited),
    ):
        sign(petition, "late@example.org", client_address="198.51.100.77")
    assert Signature.objects.count() == 4


def test_one_address_is_not_mailed_again_and_again(petition, sign, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "petition_email": "2/h"}
    for n in range(2):
        with ratelimits.client_scope(f"192.0.{n}.1"):
            sign(petition, "victim@example.org", client_address=f"192.0.{n}.1")
    with ratelimits.client_scope("192.0.9.1"), pytest.raises(ratelimits.RateLimited):
        sign(petition, "victim@example.org", client_address="192.0.9.1")


def test_unconfirmed_signatures_are_capped_per_domain_and_hour(
    petition, sign, settings
):
    settings.PETITION_UNCONFIRMED_PER_DOMAIN_HOUR = 3
    for n in range(3):
        sign(petition, f"bot{n}@spam.example")
    with pytest.raises(ratelimits.RateLimited):
        sign(petition, "bot9@spam.example")
    sign(petition, "someone@example.org")  # another domain goes on
    # A large provider gets PETITION_LARGE_PROVIDER_FACTOR times the cap.
    settings.PETITION_LARGE_PROVIDER_FACTOR = 2
    for n in range(6):
        sign(petition, f"person{n}@gmail.com")
    with pytest.raises(ratelimits.RateLimited):
        sign(petition, "person9@gmail.com")
    # An hour later the domain's pending signatures no longer count.
    Signature.objects.update(created_at=timezone.now() - timedelta(hours=2))
    sign(petition, "bot10@spam.example")


@pytest.mark.parametrize(
    ("postcode", "commune", "expected"),
    [
        ("69001", "", "cell_a1x"),  # a cell and its section cover it: the cell
        ("69004", "", "cell_a1y"),
        ("69009", "", "section_a1"),  # only the section covers it
        ("13001", "", "section_a1"),  # outside the petition's unit: its own unit
        ("75001", "", "section_a1"),  # nobody covers it
        ("", "lyon 4E", "cell_a1y"),  # no postcode: the commune's name
    ],
)
def test_a_signer_is_routed_to_the_cell_covering_the_postcode(
    tree, petition, postcode, commune, expected
):
    assert services.route_unit(petition, postcode, commune) == getattr(tree, expected)


def test_a_national_petition_routes_each_signer_to_their_local_cell(
    tree, territories, make_petition, make_member, sign, confirm
):
    from members.models import Role

    national_secretary = make_member(
        tree.cell_b1x, roles=[(tree.national, Role.Kind.SECRETARY)]
    )
    petition = make_petition(unit=tree.national, by=national_secretary)
    confirm(sign(petition, "marseille@example.org", postcode="13001"))
    confirm(sign(petition, "paris@example.org", postcode="75001"))
    routed = dict(Signature.objects.values_list("email", "routed_to"))
    assert routed == {
        "marseille@example.org": tree.cell_b1x.pk,
        "paris@example.org": tree.national.pk,
    }


def test_the_commune_is_filled_from_the_territory(petition, sign):
    sign(petition, postcode="69004")
    assert Signature.objects.get().commune == "Lyon 4e"


def test_the_text_is_sanitised(make_petition, territories):
    petition = make_petition(
        text="<p>Bonjour <strong>tous</strong></p><script>alert(1)</script>"
        '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>'
    )
    assert "<script" not in petition.text_html
    assert "onerror" not in petition.text_html
    assert "javascript:" not in petition.text_html
    assert "<strong>tous</strong>" in petition.text_html


def test_the_lifecycle_follows_its_transitions(make_petition, section_secretary):
    petition = make_petition(open=False)
    assert petition.status == "draft"
    with pytest.raises(ValidationError):
        services.petition_close(petition=petition, by=section_secretary)
    petition = services.petition_open(petition=petition, by=section_secretary)
    version = petition.version
    petition = services.petition_close(petition=petition, by=section_secretary)
    assert petition.status == "closed" and petition.version > version
    petition = services.petition_open(petition=petition, by=section_secretary)
    assert petition.status == "open"


def test_only_its_officers_manage_a_petition(petition, member, make_member, tree):
    with pytest.raises(PermissionDenied):
        services.petition_edit(petition=petition, by=member, title="Pirate")
    outsider_secretary = make_member(
        tree.cell_b1x,
        roles=[(tree.section_b1, "secretary")],
    )
    with pytest.raises(PermissionDenied):
        services.petition_close(petition=petition, by=outsider_secretary)
    with pytest.raises(PermissionDenied):
        services.petition_create(by=member, unit=tree.cell_a1x, title="x", text="y")


def test_an_edit_moves_the_version(petition, section_secretary):
    edited = services.petition_edit(
        petition=petition, by=section_secretary, title="Nouveau titre", goal=500
    )
    assert edited.version == petition.version + 1
    assert edited.title == "Nouveau titre" and edited.goal == 500


def test_the_officers_see_a_surge(petition, sign):
    for n in range(60):
        sign(petition, f"s{n}@example.org")
    figures = selectors.activity(fresh(petition))
    assert figures.requested_last_hour == 60
    assert figures.surge
    assert figures.top_domains == [("example.org", 60)]


def test_a_signer_who_agreed_becomes_a_contact_of_their_cell(
    tree, petition, sign, confirm
):
    from organising.contacts.models import Consent, Contact

    confirm(sign(petition, "anne@example.org", consent_contact=True))
    confirm(sign(petition, "bruno@example.org", postcode="69004"))  # did not agree
    contact = Contact.objects.get()
    assert (contact.email, contact.unit) == ("anne@example.org", tree.cell_a1x)
    consent = Consent.objects.get(contact=contact)
    assert consent.source == services.consent_source(petition)
    assert consent.withdrawn_at is None


def test_withdrawing_the_signature_withdraws_the_consent(petition, sign, confirm):
    from organising.contacts.models import Contact

    token = sign(petition, "anne@example.org", consent_contact=True)
    confirm(token)
    assert Contact.objects.count() == 1
    services.signature_withdraw(token=token)
    # Her only consent was this one: the contact is erased.
    assert Contact.objects.count() == 0


def test_no_consent_line_no_contact(make_petition, territories, sign, confirm):
    from organising.contacts.models import Contact

    petition = make_petition(consent_text="")
    confirm(sign(petition, consent_contact=True))
    assert not Signature.objects.get().consent_contact
    assert Contact.objects.count() == 0


def test_expired_unconfirmed_signatures_are_purged(petition, sign, confirm):
    confirm(sign(petition, "kept@example.org"))
    sign(petition, "fresh@example.org")
    sign(petition, "stale@example.org")
    Signature.objects.filter(
        email__in=["kept@example.org", "stale@example.org"]
    ).update(token_expires_at=timezone.now() - timedelta(minutes=1))
    assert services.signatures_purge_expired() == 1
    assert set(Signature.objects.values_list("email", flat=True)) == {
        "kept@example.org",
        "fresh@example.org",
    }
    assert fresh(petition).signature_count == 1


def test_the_live_topic_follows_the_policy(make_petition, territories, member):
    from django.contrib.auth.models import AnonymousUser

    from organising.topics import TOPICS

    topic = TOPICS["petition"]
    open_petition = make_petition()
    draft = make_petition(open=False, title="Brouillon")
    assert topic.groups(AnonymousUser(), open_petition.pk) == [
        f"petition.{open_petition.pk}"
    ]
    assert topic.groups(member, draft.pk) is None
    assert topic.groups(member, 10**9) is None
