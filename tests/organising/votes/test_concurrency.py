"""One member, one ballot, against PostgreSQL: many threads casting the same
member's ballot at the same instant count once (the participation's unique
constraint); closing waits for ballots in flight and counts them all."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from organising.votes import results, services
from organising.votes.models import Ballot, Participation


def _skip_unless_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions: PostgreSQL (SQLite serialises writes)")


def _at_once(count, work):
    barrier = threading.Barrier(count)
    outcomes, errors = [], []

    def run(i):
        try:
            barrier.wait()
            outcomes.append(work(i))
        except ValidationError as error:
            errors.append(error)
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


@pytest.mark.django_db(transaction=True)
def test_many_threads_casting_one_members_ballot_count_once(
    tree, make_member, open_vote
):
    _skip_unless_postgres()
    voter = make_member(tree.cell_a1x)
    vote = open_vote()
    receipts, errors = _at_once(
        12, lambda i: services.ballot_cast(vote=vote, by=voter, choices=[i % 3])
    )
    assert len(receipts) == 1
    assert len(errors) == 11
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert Participation.objects.filter(vote=vote).count() == 1
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert results.compute(vote).ballots == 1


@pytest.mark.django_db(transaction=True)
def test_proxy_holder_and_giver_at_once_count_once(tree, make_member, open_vote):
    _skip_unless_postgres()
    giver, holder = make_member(tree.cell_a1x), make_member(tree.cell_a1x)
    vote = open_vote()
    services.proxy_give(vote=vote, by=giver, holder=holder)

    def cast(i):
        if i % 2:
            return services.ballot_cast(vote=vote, by=giver, choices=[0])
        return services.ballot_cast(vote=vote, by=holder, choices=[1], for_member=giver)

    receipts, errors = _at_once(6, cast)
    assert len(receipts) == 1, errors
    assert Participation.objects.filter(vote=vote, member=giver).count() == 1
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.django_db(transaction=True)
def test_closing_while_ballots_arrive_counts_every_accepted_ballot(
    tree, make_member, open_vote, section_officer
):
    _skip_unless_postgres()
    voters = [make_member(tree.cell_a1x) for _ in range(10)]
    vote = open_vote()

    def work(i):
        if i == len(voters):
            return ("closed", services.vote_close(vote=vote, by=section_officer))
        return ("ballot", services.ballot_cast(vote=vote, by=voters[i], choices=[0]))

    outcomes, _errors = _at_once(len(voters) + 1, work)
    accepted = sum(1 for kind, _ in outcomes if kind == "ballot")
    vote.refresh_from_db()
    assert vote.status == "closed"
    assert (
        vote.result["ballots"] == accepted == Ballot.objects.filter(vote=vote).count()
    )
