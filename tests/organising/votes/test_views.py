"""The votes' pages as a member and an officer see them."""

import pytest
from django.urls import reverse

from organising.audit.models import AuditEntry
from organising.votes import services
from organising.votes.models import Ballot, Vote


@pytest.fixture
def voter(tree, make_member):
    return make_member(tree.cell_a1x)


def test_member_casts_a_single_choice_and_sees_the_receipt_once(
    voter, open_vote, client_as
):
    vote = open_vote()
    client = client_as(voter)
    page = client.get(vote.get_absolute_url())
    assert page.status_code == 200
    assert "Tractage" in page.text and 'name="choice"' in page.text
    answer = client.post(reverse("votes:cast", args=[vote.public_id]), {"choice": "1"})
    assert answer.status_code == 200
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.receipt in answer.text
    again = client.get(vote.get_absolute_url())
    assert ballot.receipt not in again.text and 'name="choice"' not in again.text
    second = client.post(reverse("votes:cast", args=[vote.public_id]), {"choice": "2"})
    assert second.status_code == 200 and Ballot.objects.count() == 1
    check = client.get(
        reverse("votes:receipt", args=[vote.public_id]), {"receipt": ballot.receipt}
    )
    assert "Réunion publique" in check.text


def test_ranked_ballot_by_select_per_rank_without_javascript(
    voter, open_vote, client_as
):
    vote = open_vote(kind="ranked")
    client = client_as(voter)
    page = client.get(vote.get_absolute_url())
    assert 'name="rank_1"' in page.text and 'name="rank_3"' in page.text
    client.post(
        reverse("votes:cast", args=[vote.public_id]),
        {"rank_1": "2", "rank_2": "0", "rank_3": ""},
    )
    assert Ballot.objects.get(vote=vote).ranking == "2,0"


def test_duplicate_ranking_is_refused_on_the_page(voter, open_vote, client_as):
    vote = open_vote(kind="ranked")
    answer = client_as(voter).post(
        reverse("votes:cast", args=[vote.public_id]), {"rank_1": "1", "rank_2": "1"}
    )
    assert answer.status_code == 200
    assert 'role="alert"' in answer.text
    assert not Ballot.objects.exists()


def test_outsider_gets_404_on_every_page(tree, make_member, open_vote, client_as):
    vote = open_vote()
    client = client_as(make_member(tree.cell_b1x))
    for name in ("vote", "results", "receipt", "electorate", "minutes", "turnout"):
        assert (
            client.get(reverse(f"votes:{name}", args=[vote.public_id])).status_code
            == 404
        )
    answer = client.post(reverse("votes:cast", args=[vote.public_id]), {"choice": "0"})
    assert answer.status_code == 404
    assert not Ballot.objects.exists()


def test_results_hidden_from_members_while_open(voter, open_vote, client_as):
    vote = open_vote()
    url = reverse("votes:results", args=[vote.public_id])
    assert client_as(voter).get(url).status_code == 403


def test_officer_creates_opens_closes_and_exports(
    tree, section_officer, voter, client_as
):
    client = client_as(section_officer)
    form = client.get(reverse("votes:create") + f"?unit={tree.section_a1.slug}")
    assert form.status_code == 200
    answer = client.post(
        reverse("votes:create") + f"?unit={tree.section_a1.slug}",
        {
            "title": "Motion d'orientation",
            "kind": "motion",
            "audience": "unit_tree",
            "seats": "1",
            "opens_at": "2030-01-01T10:00",
            "closes_at": "2030-01-02T10:00",
            "secret": "on",
            "adherents_only": "on",
            "max_proxies": "2",
        },
    )
    vote = Vote.objects.get()
    assert answer.status_code == 302
    client.post(reverse("votes:open", args=[vote.public_id]))
    vote.refresh_from_db()
    assert vote.status == "open"
    services.ballot_cast(vote=vote, by=voter, choices=[0])
    client.post(reverse("votes:close", args=[vote.public_id]))
    vote.refresh_from_db()
    assert vote.status == "closed"
    results = client.get(reverse("votes:results", args=[vote.public_id]))
    assert "Adopté" in results.text or "Adopted" in results.text
    csv = client.get(reverse("votes:export", args=[vote.public_id]))
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert AuditEntry.objects.filter(action__contains="export").exists()
    minutes = client.get(reverse("votes:minutes", args=[vote.public_id]))
    assert section_officer.display_name in minutes.text


def test_create_form_shows_the_closing_error(tree, section_officer, client_as):
    answer = client_as(section_officer).post(
        reverse("votes:create") + f"?unit={tree.section_a1.slug}",
        {
            "title": "X",
            "kind": "single",
            "options": "A\nB",
            "audience": "unit_tree",
            "seats": "1",
            "opens_at": "2030-01-02T10:00",
            "closes_at": "2030-01-01T10:00",
            "max_proxies": "2",
        },
    )
    assert answer.status_code == 200 and "errorlist" in answer.text
    assert not Vote.objects.exists()


def test_home_fragment_lists_my_open_votes(voter, open_vote, client_as):
    vote = open_vote()
    answer = client_as(voter).get(reverse("votes:open_fragment"))
    assert vote.title in answer.text


def test_vote_list_has_bounded_queries(
    voter, open_vote, client_as, django_assert_max_num_queries
):
    for _ in range(5):
        open_vote()
    client = client_as(voter)
    client.get(reverse("votes:mine"))
    with django_assert_max_num_queries(20):
        answer = client.get(reverse("votes:mine"))
    assert answer.text.count("Prochaine action") == 5
