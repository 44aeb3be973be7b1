"""The votes' services: lifecycle, electorate snapshot, ballots, proxies, counts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.models import Membership
from organising.audit.models import AuditEntry
from organising.votes import results, services, signals
from organising.votes.models import Ballot, Elector, Participation, Vote


@pytest.fixture
def voters(tree, make_member):
    """Three adherents in A1x, two in A1y, one in A2x (outside section A1)."""
    return {
        "a1x": [make_member(tree.cell_a1x) for _ in range(3)],
        "a1y": [make_member(tree.cell_a1y) for _ in range(2)],
        "a2x": [make_member(tree.cell_a2x)],
    }


def test_vote_create_is_a_draft_with_its_options_and_audit_row(make_vote):
    vote = make_vote(subject="documents.amendment:12")
    assert vote.status == Vote.Status.DRAFT
    assert [o.label for o in vote.options.all()] == [
        "Tractage",
        "Réunion publique",
        "Pétition",
    ]
    assert vote.subject == "documents.amendment:12"
    assert AuditEntry.objects.filter(action="vote.create", target_id=vote.pk).exists()


def test_motion_gets_for_against_abstain(make_vote):
    vote = make_vote(kind="motion")
    assert vote.options.count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"options": []}, "options"),
        ({"options": ["Seule"]}, "options"),
        ({"options": ["A", "a"]}, "options"),
        ({"title": "  "}, "title"),
        ({"kind": "lottery"}, "kind"),
        ({"kind": "multiple", "max_choices": 9}, "max_choices"),
        ({"kind": "ranked", "seats": 3}, "seats"),
        ({"quorum_percent": 150}, "quorum_percent"),
    ],
)
def test_bad_vote_is_refused_naming_the_field(make_vote, fields, field):
    with pytest.raises(ValidationError) as error:
        make_vote(**fields)
    assert field in error.value.message_dict
    assert not Vote.objects.exists()


def test_closing_before_opening_is_refused(make_vote):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        make_vote(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=1))
    assert "closes_at" in error.value.message_dict


def test_member_may_not_create_a_vote(make_vote, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        make_vote(by=member)


def test_electorate_is_fixed_at_opening(tree, voters, open_vote, section_officer):
    """The section and below, adherents only: A1x's 3, A1y's 2 and the officer."""
    sympathiser = voters["a1x"][0].__class__.objects.create(
        email="s@example.org", display_name="Sym"
    )
    Membership.objects.create(
        user=sympathiser, unit=tree.cell_a1x, status="sympathiser"
    )
    vote = open_vote()
    assert vote.status == Vote.Status.OPEN
    assert vote.electorate_size == 6
    ids = set(Elector.objects.filter(vote=vote).values_list("member_id", flat=True))
    assert sympathiser.pk not in ids
    assert voters["a2x"][0].pk not in ids


def test_transfer_after_opening_changes_nothing(tree, voters, open_vote):
    vote = open_vote()
    moved = voters["a1x"][0]
    Membership.objects.filter(user=moved).update(ended_on=timezone.localdate())
    Membership.objects.create(user=moved, unit=tree.cell_b1x, status="adherent")
    newcomer = voters["a2x"][0]
    Membership.objects.filter(user=newcomer).update(ended_on=timezone.localdate())
    Membership.objects.create(user=newcomer, unit=tree.cell_a1x, status="adherent")
    services.ballot_cast(vote=vote, by=moved, choices=[0])
    with pytest.raises(ValidationError) as error:
        services.ballot_cast(vote=vote, by=newcomer, choices=[0])
    assert "vote" in error.value.message_dict
    assert Ballot.objects.filter(vote=vote).count() == 1
    vote.refresh_from_db()
    assert vote.electorate_size == 6


def test_second_ballot_is_refused_and_count_unchanged(voters, open_vote):
    vote = open_vote()
    voter = voters["a1y"][0]
    services.ballot_cast(vote=vote, by=voter, choices=[1])
    with pytest.raises(ValidationError):
        services.ballot_cast(vote=vote, by=voter, choices=[2])
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert results.compute(vote).votes == [0, 1, 0]


@pytest.mark.parametrize(
    ("kind", "choices"),
    [
        ("single", [7]),
        ("single", [0, 1]),
        ("single", []),
        ("single", ["x"]),
        ("single", "0"),
        ("ranked", [0, 0]),
        ("multiple", [0, 1, 2]),
    ],
)
def test_bad_ballot_stores_nothing(voters, open_vote, kind, choices):
    extra = {"max_choices": 2} if kind == "multiple" else {}
    vote = open_vote(kind=kind, **extra)
    with pytest.raises(ValidationError) as error:
        services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=choices)
    assert "choices" in error.value.message_dict
    assert not Ballot.objects.exists()
    assert not Participation.objects.exists()


def test_ballot_before_opening_and_after_closing(voters, make_vote, section_officer):
    vote = make_vote()
    with pytest.raises(ValidationError) as error:
        services.ballot_cast(vote=vote, by=section_officer, choices=[0])
    assert "vote" in error.value.message_dict
    vote = services.vote_open(vote=vote, by=section_officer)
    services.vote_close(vote=vote, by=section_officer)
    with pytest.raises(ValidationError):
        services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[0])
    assert not Ballot.objects.exists()


def test_options_cannot_change_after_opening(open_vote, section_officer):
    vote = open_vote()
    with pytest.raises(ValidationError) as error:
        services.vote_edit(vote=vote, by=section_officer, options=["X", "Y"])
    assert "options" in error.value.message_dict
    assert vote.options.count() == 3


def test_secret_ballot_names_no_voter_and_only_the_day(voters, open_vote):
    vote = open_vote()
    voter = voters["a1x"][0]
    receipt = services.ballot_cast(vote=vote, by=voter, choices=[2])
    fields = {f.name for f in Ballot._meta.get_fields()}
    assert fields == {
        "id",
        "vote",
        "mask",
        "ranking",
        "ballot_unit",
        "weight",
        "by_proxy",
        "cast_on",
        "receipt",
        "voter",
    }
    ballot = Ballot.objects.get(receipt=receipt)
    assert ballot.voter_id is None
    assert type(ballot.cast_on).__name__ == "date"
    assert isinstance(ballot.pk, type(ballot.id)) and len(str(ballot.pk)) == 36
    # No audit row nor participation mentions the ballot or what was chosen.
    for entry in AuditEntry.objects.all():
        assert receipt not in str(entry.data) and str(ballot.pk) != entry.target_id
    participation = Participation.objects.get(vote=vote)
    assert {f.name for f in Participation._meta.get_fields()} == {
        "id",
        "vote",
        "member",
        "cast_by",
        "voted_on",
    }
    assert participation.member_id == voter.pk


def test_small_cell_is_counted_under_its_section_in_a_secret_vote(
    tree, voters, open_vote
):
    """A1x has 3 electors, A1y 3 (two and the officer): fewer than MIN_BREAKDOWN,
    so their ballots count under section A1 (no cell figures to read a vote from)."""
    vote = open_vote()
    units = set(Elector.objects.filter(vote=vote).values_list("ballot_unit", flat=True))
    assert units == {tree.section_a1.pk}


def test_roll_call_shows_the_cell_and_the_voter(tree, voters, open_vote):
    vote = open_vote(secret=False)
    voter = voters["a1x"][0]
    receipt = services.ballot_cast(vote=vote, by=voter, choices=[0])
    ballot = Ballot.objects.get(receipt=receipt)
    assert ballot.voter_id == voter.pk
    assert ballot.ballot_unit_id == tree.cell_a1x.pk


def test_breakdown_sums_equal_totals(tree, voters, open_vote, section_officer):
    vote = open_vote(secret=False)
    for i, voter in enumerate([*voters["a1x"], *voters["a1y"]]):
        services.ballot_cast(vote=vote, by=voter, choices=[i % 3])
    result = results.compute(vote)
    assert result.ballots == 5 and result.electorate == 6
    rows = {row.unit_id: row for row in result.breakdown}
    cells = [rows[tree.cell_a1x.pk], rows[tree.cell_a1y.pk]]
    assert [sum(r.votes[p] for r in cells) for p in range(3)] == result.votes
    assert rows[tree.section_a1.pk].votes == result.votes
    assert sum(r.electorate for r in cells) == 6
    assert rows[tree.cell_a1x.pk].votes == [1, 1, 1]


def test_quorum_share_of_the_electorate(voters, open_vote):
    vote = open_vote(kind="motion", quorum_percent=50)
    assert vote.quorum_needed == 3
    services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[0])
    services.ballot_cast(vote=vote, by=voters["a1x"][1], choices=[0])
    result = results.compute(vote)
    assert not result.quorum_met and result.adopted is False
    services.ballot_cast(vote=vote, by=voters["a1x"][2], choices=[1])
    result = results.compute(vote)
    assert result.quorum_met and result.adopted is True


def test_multiple_choice_counts_each_option(voters, open_vote):
    vote = open_vote(kind="multiple", max_choices=2, seats=2)
    services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[0, 2])
    services.ballot_cast(vote=vote, by=voters["a1x"][1], choices=[2])
    services.ballot_cast(vote=vote, by=voters["a1x"][2], choices=[1, 2])
    result = results.compute(vote)
    assert result.votes == [1, 1, 3]
    assert result.winners[0] == 2 and result.tie


def test_ranked_single_seat_is_counted_by_schulze(voters, open_vote):
    vote = open_vote(kind="ranked")
    for voter, ranking in zip(
        [*voters["a1x"], *voters["a1y"]],
        [[0, 1, 2], [1, 2, 0], [2, 1, 0], [1, 0], [2, 1]],
        strict=True,
    ):
        services.ballot_cast(vote=vote, by=voter, choices=ranking)
    result = results.compute(vote)
    assert result.winners == [1]  # beats 0 (4-1) and 2 (3-2)
    assert result.pairwise[1][0] == 4 and result.pairwise[1][2] == 3


def test_ranked_seats_are_counted_by_stv_with_rounds(voters, open_vote):
    vote = open_vote(kind="ranked", seats=2)
    for voter, ranking in zip(
        [*voters["a1x"], *voters["a1y"]],
        [[0, 1], [0, 1], [0, 2], [2], [1]],
        strict=True,
    ):
        services.ballot_cast(vote=vote, by=voter, choices=ranking)
    result = results.compute(vote)
    assert result.quota == 2
    assert result.winners[0] == 0
    assert result.rounds[0]["totals"]["0"] == "3"


def test_change_goes_through_the_receipt(voters, open_vote):
    vote = open_vote(allow_change=True)
    voter, other = voters["a1x"][0], voters["a1x"][1]
    receipt = services.ballot_cast(vote=vote, by=voter, choices=[0])
    with pytest.raises(ValidationError):
        services.ballot_change(vote=vote, by=other, receipt=receipt, choices=[1])
    services.ballot_change(vote=vote, by=voter, receipt=receipt.lower(), choices=[1])
    assert results.compute(vote).votes == [0, 1, 0]


def test_change_refused_when_the_vote_does_not_allow_it(voters, open_vote):
    vote = open_vote()
    receipt = services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[0])
    with pytest.raises(ValidationError):
        services.ballot_change(
            vote=vote, by=voters["a1x"][0], receipt=receipt, choices=[1]
        )


def test_proxy_cast_counted_apart_and_limited_to_two(voters, open_vote):
    vote = open_vote()
    holder = voters["a1x"][0]
    givers = [voters["a1x"][1], voters["a1x"][2], voters["a1y"][0]]
    services.proxy_give(vote=vote, by=givers[0], holder=holder)
    services.proxy_give(vote=vote, by=givers[1], holder=holder)
    with pytest.raises(ValidationError) as error:
        services.proxy_give(vote=vote, by=givers[2], holder=holder)
    assert "holder" in error.value.message_dict
    services.ballot_cast(vote=vote, by=holder, choices=[0], for_member=givers[0])
    with pytest.raises(ValidationError):  # used: not twice
        services.ballot_cast(vote=vote, by=holder, choices=[0], for_member=givers[0])
    services.ballot_cast(vote=vote, by=holder, choices=[1])
    result = results.compute(vote)
    assert result.ballots == 2 and result.by_proxy == 1
    assert result.proxy_votes == [1, 0, 0]


def test_withdrawn_proxy_cannot_be_used(voters, open_vote):
    vote = open_vote()
    holder, giver = voters["a1x"][0], voters["a1x"][1]
    proxy = services.proxy_give(vote=vote, by=giver, holder=holder)
    services.proxy_withdraw(proxy=proxy, by=giver)
    with pytest.raises(ValidationError):
        services.ballot_cast(vote=vote, by=holder, choices=[0], for_member=giver)
    services.ballot_cast(vote=vote, by=giver, choices=[1])  # votes themselves


def test_delegate_weights_weigh_the_ballots(voters, make_vote, section_officer):
    vote = make_vote(weighted=True)
    services.weights_set(
        vote=vote, by=section_officer, weights={voters["a1x"][0].pk: 120}
    )
    vote = services.vote_open(vote=vote, by=section_officer)
    services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[0])
    services.ballot_cast(vote=vote, by=voters["a1x"][1], choices=[1])
    assert results.compute(vote).votes == [120, 1, 0]


def test_close_is_final_keeps_the_result_and_signals_on_commit(
    voters, open_vote, section_officer, django_capture_on_commit_callbacks
):
    vote = open_vote(subject="documents.amendment:3")
    services.ballot_cast(vote=vote, by=voters["a1x"][0], choices=[2])
    heard = []

    def receiver(sender, vote, result, **kwargs):
        heard.append((vote.subject, result.winners))

    signals.vote_closed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            vote = services.vote_close(vote=vote, by=section_officer)
    finally:
        signals.vote_closed.disconnect(receiver)
    assert heard == [("documents.amendment:3", [2])]
    assert vote.status == Vote.Status.CLOSED and vote.closed_by == section_officer
    assert vote.result["ballots"] == 1
    with pytest.raises(ValidationError):
        services.vote_close(vote=vote, by=section_officer)
    assert services.vote_close(vote=vote).status == Vote.Status.CLOSED  # sweep: no-op


def test_sweep_opens_and_closes_on_time_and_is_safe_twice(make_vote):
    now = timezone.now()
    vote = make_vote(opens_at=now - timedelta(minutes=1))
    assert services.votes_sweep() == {"opened": 1, "closed": 0}
    assert services.votes_sweep() == {"opened": 0, "closed": 0}
    Vote.objects.filter(pk=vote.pk).update(closes_at=now - timedelta(seconds=1))
    assert services.votes_sweep() == {"opened": 0, "closed": 1}
    assert services.votes_sweep() == {"opened": 0, "closed": 0}
    vote.refresh_from_db()
    assert vote.status == Vote.Status.CLOSED and vote.closed_by is None


def test_dues_required_keeps_only_members_in_good_standing(
    voters, make_vote, section_officer
):
    vote = make_vote(dues_required=True)
    vote = services.vote_open(vote=vote, by=section_officer)
    electors = Elector.objects.filter(vote=vote)
    standings = set(electors.values_list("standing", flat=True))
    assert standings <= {"up_to_date", "exempt"}
    assert vote.electorate_size == Elector.objects.filter(vote=vote).count()
