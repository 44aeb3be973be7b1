"""Petitions' pages as a visitor and as officers see them: the public page (cached
for anonymous visitors, the count always from the database), signing with errors
by field, the e-mailed links, the embeddable counter, the officers' pages and the
CSV export."""

import pytest

from organising.audit.models import AuditEntry
from organising.petitions.models import Petition, Signature

from .conftest import token_in

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Alice",
    "last_name": "Martin",
    "email": "alice@example.org",
    "postcode": "69001",
}


def url(petition, name=""):
    return f"/petitions/{petition.slug}/{name}"


def test_the_public_page_shows_the_petition_to_anyone(client, petition):
    response = client.get(url(petition))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sauvons la ligne de bus 9" in html
    assert "<p>La ligne 9 relie nos quartiers.</p>" in html
    assert 'name="website"' in html  # the honeypot
    assert 'value="0"' in html and 'max="100"' in html  # the progress bar
    assert "wa.me" in html and "facebook.com/sharer" in html


def test_a_draft_is_404_to_the_public_and_shown_to_its_officers(
    client, client_as, make_petition, section_secretary, member
):
    draft = make_petition(open=False)
    assert client.get(url(draft)).status_code == 404
    assert client_as(member).get(url(draft)).status_code == 404
    assert client.get(url(draft, "count/")).status_code == 404
    assert client.get(url(draft, "embed/")).status_code == 404
    assert client_as(section_secretary).get(url(draft)).status_code == 200


def test_the_cached_page_shows_the_count_of_the_database(
    client, petition, sign, confirm, django_assert_max_num_queries
):
    first = client.get(url(petition)).content.decode()
    assert '<strong class="petition-number">0</strong>' in first
    confirm(sign(petition))
    with django_assert_max_num_queries(1):  # the petition's row, the page cached
        second = client.get(url(petition)).content.decode()
    assert '<strong class="petition-number">1</strong>' in second
    # Each visitor gets their own CSRF token and nonce in the stored page.
    assert "csrf" not in second.split('name="csrfmiddlewaretoken" value="')[1][:4]


def test_an_edit_is_shown_at_once(client, petition, section_secretary):
    from organising.petitions import services

    client.get(url(petition))
    services.petition_edit(petition=petition, by=section_secretary, title="Nouveau")
    assert "Nouveau" in client.get(url(petition)).content.decode()


def test_closing_removes_the_form_at_once(client, petition, section_secretary):
    from organising.petitions import services

    assert "Sign the petition" in client.get(url(petition)).content.decode()
    services.petition_close(petition=petition, by=section_secretary)
    html = client.get(url(petition)).content.decode()
    assert "Sign the petition" not in html
    assert "This petition is closed" in html


def test_signing_sends_the_link_and_confirming_counts(
    client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(petition, "sign/"), FORM)
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    token = token_in(mailoutbox[-1])
    assert f"/petitions/withdraw/{token}/" in mailoutbox[-1].body
    confirmed = client.get(f"/petitions/confirm/{token}/")
    assert "your signature is confirmed" in confirmed.content.decode()
    again = client.get(f"/petitions/confirm/{token}/")
    assert again.status_code == 200
    assert "already confirmed" in again.content.decode()
    assert Petition.objects.get().signature_count == 1
    count = client.get(url(petition, "count/")).content.decode()
    assert '<strong class="petition-number">1</strong>' in count


def test_a_second_signature_answers_the_same_and_counts_nothing(
    client, petition, sign, confirm, django_capture_on_commit_callbacks
):
    confirm(sign(petition))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(petition, "sign/"), FORM)
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    assert Signature.objects.count() == 1
    assert Petition.objects.get().signature_count == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "alice@"}, "email", "valid e-mail"),
        ({"website": "http://buy.example"}, "website", "Leave this field empty"),
        ({"first_name": ""}, "first_name", "required"),
    ],
)
def test_bad_input_shows_the_error_and_stores_nothing(
    client, petition, change, field, message
):
    response = client.post(url(petition, "sign/"), {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Signature.objects.count() == 0


def test_an_expired_link_says_so(client, petition, sign):
    from datetime import timedelta

    from django.utils import timezone

    token = sign(petition)
    Signature.objects.update(token_expires_at=timezone.now() - timedelta(hours=1))
    response = client.get(f"/petitions/confirm/{token}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert client.get("/petitions/confirm/nope/").status_code == 404


def test_withdrawing_asks_then_withdraws(client, petition, sign, confirm):
    token = sign(petition)
    confirm(token)
    page = client.get(f"/petitions/withdraw/{token}/")
    assert page.status_code == 200
    assert Signature.objects.count() == 1  # a link previewer withdraws nothing
    done = client.post(f"/petitions/withdraw/{token}/")
    assert done.status_code == 200
    assert Signature.objects.count() == 0
    assert Petition.objects.get().signature_count == 0
    assert client.get(f"/petitions/withdraw/{token}/").status_code == 404


def test_the_public_list_shows_first_names_and_communes_of_who_allowed(
    client, petition, sign, confirm
):
    confirm(sign(petition, "a@example.org", first_name="Anne", show_publicly=True))
    confirm(sign(petition, "b@example.org", first_name="Bruno", last_name="Secret"))
    html = client.get(url(petition, "signers/")).content.decode()
    assert "Anne" in html and "Lyon 1er" in html
    assert "Bruno" not in html and "Martin" not in html and "@" not in html


def test_the_embed_may_be_framed_and_nothing_else(client, petition):
    embed = client.get(url(petition, "embed/"))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    page = client.get(url(petition))
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    badge = client.get(url(petition, "badge.svg"))
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert "0 signatures of 100" in badge.content.decode()


def test_the_officers_page_shows_the_activity(client_as, petition, sign, world):
    for n in range(3):
        sign(petition, f"p{n}@example.org")
    response = client_as(world.officer).get(url(petition, "manage/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Signatures asked in the last hour" in html
    assert "example.org: 3" in html
    assert "iframe" in html


def test_members_outside_its_officers_get_no_officers_page(
    client_as, petition, member, make_member, tree
):
    assert client_as(member).get(url(petition, "manage/")).status_code == 403
    assert client_as(member).get(url(petition, "signatures/")).status_code == 403
    assert client_as(member).get(url(petition, "signatures.csv")).status_code == 403
    other = make_member(tree.cell_b1x, roles=[(tree.section_b1, "secretary")])
    assert client_as(other).get(url(petition, "edit/")).status_code == 403


def test_the_csv_has_the_confirmed_signatures_neutralised_and_is_recorded(
    client_as, petition, sign, confirm, world
):
    confirm(sign(petition, "a@example.org", first_name="=HYPERLINK(1)"))
    sign(petition, "pending@example.org")  # not confirmed: not exported
    response = client_as(world.secretary).get(url(petition, "signatures.csv"))
    text = response.content.decode()
    assert response.status_code == 200
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK(1)" in text
    assert "a@example.org" in text and "pending@example.org" not in text
    entry = AuditEntry.objects.get(action="csv.export")
    assert entry.data["what"] == "petition.signatures"
    assert entry.data["rows"] == 2
    # An officer (not secretary) may read the list but not export it.
    assert client_as(world.officer).get(url(petition, "signatures/")).status_code == 200
    officer_csv = client_as(world.officer).get(url(petition, "signatures.csv"))
    assert officer_csv.status_code == 403


def test_officers_create_open_and_close_a_petition(client_as, tree, world):
    secretary = client_as(world.secretary)
    response = secretary.post(
        f"/petitions/units/{tree.section_a1.slug}/new/",
        {
            "title": "Un parc pour le quartier",
            "text": "Nous voulons un parc.",
            "goal": "500",
            "location": "postcode",
            "consent_text": "",
        },
    )
    petition = Petition.objects.get(title="Un parc pour le quartier")
    assert response.status_code == 302 and petition.status == "draft"
    secretary.post(url(petition, "status/"), {"status": "open"})
    assert Petition.objects.get(pk=petition.pk).status == "open"
    secretary.post(url(petition, "status/"), {"status": "closed"})
    assert Petition.objects.get(pk=petition.pk).status == "closed"
    listing = secretary.get(f"/petitions/units/{tree.section_a1.slug}/")
    assert "Un parc pour le quartier" in listing.content.decode()


def test_the_petition_form_names_its_errors(client_as, tree, world):
    response = client_as(world.secretary).post(
        f"/petitions/units/{tree.section_a1.slug}/new/",
        {"title": "", "text": "x", "goal": "0", "location": "postcode"},
    )
    assert response.status_code == 200
    assert Petition.objects.filter(unit=tree.section_a1).count() == 1  # the fixture's


def test_the_cache_down_still_answers(client, petition, redis_down, sign, confirm):
    confirm(sign(petition))
    html = client.get(url(petition)).content.decode()
    assert '<strong class="petition-number">1</strong>' in html


def test_the_index_lists_open_petitions_and_the_units_one_runs(
    client, client_as, petition, make_petition, world, tree
):
    draft = make_petition(open=False, title="Brouillon secret")
    html = client.get("/petitions/").content.decode()
    assert petition.title in html and draft.title not in html
    assert 'href="/petitions/"' in html  # in the navigation
    mine = client_as(world.secretary).get("/petitions/").content.decode()
    assert f"/petitions/units/{tree.section_a1.slug}/" in mine


def test_the_stored_page_carries_each_visitors_own_address(client, petition):
    first = client.get(url(petition) + "?utm_source=mastodon").content.decode()
    second = client.get(url(petition) + "?utm_source=<b>x</b>").content.decode()
    assert 'value="/petitions/sauvons-la-ligne-de-bus-9/?utm_source=mastodon"' in first
    assert "utm_source=mastodon" not in second
    assert "utm_source=%3Cb%3E" in second and "<b>x</b>" not in second
