"""The "vote" topic: who may watch a vote's turnout; what a ballot announces and
logs (nothing that names the voter or the choice)."""

import logging

from organising import topics
from organising.votes import services


def test_vote_topic_is_registered_and_follows_the_policy(
    tree, make_member, open_vote, make_vote
):
    topic = topics.TOPICS["vote"]
    vote = open_vote()
    member = make_member(tree.cell_a1x)
    outsider = make_member(tree.cell_b1x)
    assert topic.groups(member, vote.pk) == [f"vote.{vote.pk}"]
    assert topic.groups(outsider, vote.pk) is None
    assert topic.groups(member, 999_999) is None
    draft = make_vote()
    assert topic.groups(member, draft.pk) is None  # a draft: its officers only


def test_a_ballot_announces_no_figures_and_logs_nothing_of_the_voter(
    tree, make_member, open_vote, caplog, django_capture_on_commit_callbacks
):
    voter = make_member(tree.cell_a1x)
    vote = open_vote()
    from organising.votes import live

    live._last.clear()
    with (
        caplog.at_level(logging.DEBUG),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        receipt = services.ballot_cast(vote=vote, by=voter, choices=[1])
    text = caplog.text
    assert receipt not in text and voter.email not in text
    assert str(voter.pk) not in [r.getMessage() for r in caplog.records]
    assert len(callbacks) >= 1  # the announcement, after commit
