"""The counting methods on the literature's examples."""

from organising.votes import counting

A, B, C, D, E = range(5)


def _ranking(letters: str) -> list[int]:
    return ["ABCDE".index(letter) for letter in letters]


def test_schulze_wikipedia_example_of_45_voters_elects_e():
    """Wikipedia, "Schulze method": 45 voters, 5 candidates; E wins, order
    E > A > C > B > D, with the pairwise and strongest-path figures of the article."""
    groups = [
        (_ranking("ACBED"), 5),
        (_ranking("ADECB"), 5),
        (_ranking("BEDAC"), 8),
        (_ranking("CABED"), 3),
        (_ranking("CAEBD"), 7),
        (_ranking("CBADE"), 2),
        (_ranking("DCEBA"), 7),
        (_ranking("EBADC"), 8),
    ]
    count = counting.schulze(groups, range(5))
    assert count.winners == [E]
    assert not count.tie
    assert count.order == [E, A, C, B, D]
    assert [count.pairwise[A][x] for x in (B, C, D, E)] == [20, 26, 30, 22]
    assert [count.pairwise[E][x] for x in (A, B, C, D)] == [23, 27, 21, 31]
    # The strongest paths (the article's second matrix).
    assert [count.paths[A][x] for x in (B, C, D, E)] == [28, 28, 30, 24]
    assert [count.paths[E][x] for x in (A, B, C, D)] == [25, 28, 28, 31]


def test_schulze_tie_between_two_is_reported():
    count = counting.schulze([([A, B], 3), ([B, A], 3)], [A, B])
    assert count.tie
    assert count.winners == [A, B]


def test_schulze_partial_rankings_put_unranked_last():
    count = counting.schulze([([C], 3), ([A, B], 2)], [A, B, C])
    assert count.winners == [C]


def test_stv_wikipedia_food_example_with_its_rounds():
    """Wikipedia, "Single transferable vote": 20 voters, 3 seats, Droop quota 6.
    Chocolate is elected first and its surplus goes half to Strawberries, half to
    Hamburger; Pear is excluded and Orange reaches the quota; Hamburger is
    excluded and Strawberry takes the last seat."""
    orange, pear, chocolate, strawberry, hamburger = range(5)
    groups = [
        ([orange], 4),
        ([pear, orange], 2),
        ([chocolate, strawberry], 8),
        ([chocolate, hamburger], 4),
        ([strawberry], 1),
        ([hamburger], 1),
    ]
    count = counting.stv(groups, range(5), 3)
    assert count.quota == 6
    assert count.elected == [chocolate, orange, strawberry]
    first, second, third, fourth = count.rounds
    assert first.totals == {
        orange: 400000,
        pear: 200000,
        chocolate: 1200000,
        strawberry: 100000,
        hamburger: 100000,
    }
    assert first.elected == [chocolate]
    assert (first.transferred_from, counting.decimal(first.transfer_value)) == (
        chocolate,
        "0.5",
    )
    assert second.totals[strawberry] == 500000  # 1 + 8 × 0.5
    assert second.totals[hamburger] == 300000  # 1 + 4 × 0.5
    assert second.excluded == pear
    assert third.totals[orange] == 600000 and third.elected == [orange]
    assert third.excluded == hamburger
    assert fourth.elected == [strawberry]
    assert counting.decimal(fourth.exhausted) == "3"


def test_stv_surplus_truncated_to_five_decimals():
    """Scottish rules: a transfer value of 1/3 is 0.33333, not a float."""
    groups = [([A, B], 4), ([C], 1), ([D], 1)]
    count = counting.stv(groups, [A, B, C, D], 2)
    assert count.quota == 3
    first = count.rounds[0]
    assert first.transfer_value == 25000  # (4 - 3) / 4
    assert count.elected[0] == A
