"""The votes' API: 400 naming the field and nothing stored on bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from organising.votes.models import Ballot, Participation, Vote


@pytest.fixture
def voter(tree, make_member):
    return make_member(tree.cell_a1x)


def _url(vote, tail=""):
    return f"/api/v1/votes/{vote.public_id}/{tail}"


def test_create_open_cast_close_results(tree, section_officer, voter, api_as):
    officer = api_as(section_officer)
    now = timezone.now()
    answer = officer.post(
        "/api/v1/votes/",
        {
            "title": "Élection du bureau",
            "kind": "ranked",
            "seats": 2,
            "options": ["Ana", "Bruno", "Chloé"],
            "unit": tree.section_a1.slug,
            "opens_at": (now + timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    vote = Vote.objects.get()
    assert answer.json()["status"] == "draft"
    assert officer.post(_url(vote, "open/")).json()["status"] == "open"
    member = api_as(voter)
    assert [v["id"] for v in member.get("/api/v1/votes/").json()] == [
        str(vote.public_id)
    ]
    cast = member.post(_url(vote, "ballots/"), {"choices": [2, 0]}, format="json")
    assert cast.status_code == 201
    receipt = cast.json()["receipt"]
    check = member.get(_url(vote, f"receipts/{receipt}/")).json()
    assert check == {
        "receipt": receipt,
        "found": True,
        "choices": [2, 0],
        "counted": False,
    }
    assert member.get(_url(vote, "results/")).status_code == 403
    assert member.get(_url(vote, "turnout/")).json()["ballots"] == 1
    officer.post(_url(vote, "close/"))
    result = member.get(_url(vote, "results/")).json()
    assert result["final"] and result["ballots"] == 1 and result["quota"] == 1
    assert result["rounds"][0]["number"] == 1
    breakdown = {row["unit_id"]: row for row in result["breakdown"]}
    assert breakdown[tree.section_a1.pk]["votes"] == result["votes"]
    closed = member.get("/api/v1/votes/?status=closed").json()
    assert closed[0]["id"] == str(vote.public_id)


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("single", {"choices": [9]}, "choices"),  # unknown option
        ("single", {"choices": [0, 1]}, "choices"),  # too many
        ("single", {"choices": []}, "choices"),
        ("single", {"choices": "0"}, "choices"),
        ("single", {}, "choices"),
        ("ranked", {"choices": [1, 1]}, "choices"),  # duplicate ranking
        ("multiple", {"choices": [0, 1, 2]}, "choices"),  # more than k=2
        ("single", {"choices": [0], "for_member": "not-a-uuid"}, "for_member"),
    ],
)
def test_bad_ballot_answers_400_naming_the_field(
    voter, open_vote, api_as, kind, body, field
):
    extra = {"max_choices": 2} if kind == "multiple" else {}
    vote = open_vote(kind=kind, **extra)
    answer = api_as(voter).post(_url(vote, "ballots/"), body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_second_ballot_answers_400_and_count_unchanged(voter, open_vote, api_as):
    vote = open_vote()
    client = api_as(voter)
    assert (
        client.post(_url(vote, "ballots/"), {"choices": [0]}, format="json").status_code
        == 201
    )
    again = client.post(_url(vote, "ballots/"), {"choices": [1]}, format="json")
    assert again.status_code == 400 and "vote" in again.json()
    assert Ballot.objects.count() == 1


def test_ballot_before_opening_and_after_closing(
    section_officer, voter, make_vote, api_as
):
    vote = make_vote()
    officer = api_as(section_officer)
    early = officer.post(_url(vote, "ballots/"), {"choices": [0]}, format="json")
    assert early.status_code == 400 and "vote" in early.json()
    officer.post(_url(vote, "open/"))
    officer.post(_url(vote, "close/"))
    late = api_as(voter).post(_url(vote, "ballots/"), {"choices": [0]}, format="json")
    assert late.status_code == 400 and "vote" in late.json()
    assert not Ballot.objects.exists()


def test_outside_the_electorate_answers_400(tree, make_member, open_vote, api_as):
    """A member who joined the section after opening sees the vote (its audience)
    but is not in its electorate."""
    vote = open_vote()
    late_comer = make_member(tree.cell_a1y)
    answer = api_as(late_comer).post(
        _url(vote, "ballots/"), {"choices": [0]}, format="json"
    )
    assert answer.status_code == 400 and "vote" in answer.json()
    assert not Ballot.objects.exists()


def test_invisible_vote_answers_404(tree, make_member, open_vote, api_as):
    vote = open_vote()
    outsider = api_as(make_member(tree.cell_b1x))
    assert outsider.get(_url(vote)).status_code == 404
    assert (
        outsider.post(
            _url(vote, "ballots/"), {"choices": [0]}, format="json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"options": []}, "options"),
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"kind": "lottery"}, "kind"),
        ({"unit": None}, "unit"),
    ],
)
def test_bad_vote_answers_400(tree, section_officer, api_as, body, field):
    now = timezone.now()
    data = {
        "title": "Question",
        "kind": "single",
        "options": ["A", "B"],
        "unit": tree.section_a1.slug,
        "opens_at": (now + timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
    }
    data.update(body)
    data = {k: v for k, v in data.items() if v is not None}
    answer = api_as(section_officer).post("/api/v1/votes/", data, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()
    assert not Vote.objects.exists()


def test_options_changed_after_opening_answers_400(section_officer, open_vote, api_as):
    vote = open_vote()
    answer = api_as(section_officer).patch(
        _url(vote), {"options": ["X", "Y"]}, format="json"
    )
    assert answer.status_code == 400 and "options" in answer.json()
    assert list(vote.options.values_list("label", flat=True))[0] == "Tractage"


def test_member_may_not_create_403(tree, voter, api_as):
    now = timezone.now()
    answer = api_as(voter).post(
        "/api/v1/votes/",
        {
            "title": "Q",
            "kind": "motion",
            "unit": tree.cell_a1x.slug,
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert answer.status_code == 403
