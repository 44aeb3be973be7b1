"""Counting ranked ballots: Schulze for one winner, Scottish STV for several seats.

Pure functions over grouped ballots (a ranking and how much it weighs: the number of
identical ballots times their weight), so that the database groups identical
rankings and Python only sees the distinct ones. Candidates are option positions.

Why not a library: `votekit` (MIT) counts both, but it brings numpy, pandas, scipy,
scikit-learn, numba, matplotlib and seaborn into every web process for two loops of
a few dozen lines. These two are cross-checked on the literature's examples
(tests/organising/votes/test_counting.py): the Schulze example of Wikipedia (45
voters, winner E) and the STV example of Wikipedia (20 voters, 3 seats).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Ranking = Sequence[int]
Groups = Sequence[tuple[Ranking, int]]

# Scottish STV (SSI 2007/42): transfer values and transferred votes are truncated
# to five decimal places; values are kept as integers in units of 1/100000.
SCALE = 100_000


@dataclass
class Schulze:
    candidates: list[int]
    # d[a][b]: how much prefers a to b; p[a][b]: the strength of the strongest path.
    pairwise: dict[int, dict[int, int]]
    paths: dict[int, dict[int, int]]
    # Candidates ordered best first; `winners` are those no one beats (one, or a tie).
    order: list[int]
    winners: list[int]

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1


def schulze(groups: Groups, candidates: Sequence[int]) -> Schulze:
    """The Schulze method. A ranking may leave candidates out: they rank below
    every ranked candidate and equal among themselves."""
    cands = list(candidates)
    d = {a: dict.fromkeys(cands, 0) for a in cands}
    for ranking, weight in groups:
        rank = {c: i for i, c in enumerate(ranking)}
        unranked = len(ranking)
        for a in cands:
            ra = rank.get(a, unranked)
            if ra == unranked:
                continue  # an unranked candidate is preferred to no one
            for b in cands:
                if a != b and ra < rank.get(b, unranked):
                    d[a][b] += weight
    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in cands} for a in cands}
    for i in cands:
        for j in cands:
            if i == j:
                continue
            for k in cands:
                if k not in (i, j):
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    beats = {a: sum(1 for b in cands if b != a and p[a][b] > p[b][a]) for a in cands}
    order = sorted(cands, key=lambda c: (-beats[c], cands.index(c)))
    winners = [a for a in cands if all(p[a][b] >= p[b][a] for b in cands if b != a)]
    return Schulze(cands, d, p, order, winners)


@dataclass
class StvRound:
    number: int
    # Each continuing or elected candidate's votes at the start of the round (in
    # units of 1/SCALE), and the votes no longer transferable.
    totals: dict[int, int]
    exhausted: int
    elected: list[int] = field(default_factory=list)
    excluded: int | None = None
    # Whose surplus was transferred in this round, at which value (1/SCALE).
    transferred_from: int | None = None
    transfer_value: int | None = None


@dataclass
class Stv:
    candidates: list[int]
    seats: int
    quota: int  # votes, not scaled
    valid: int
    elected: list[int]
    rounds: list[StvRound]


def stv(groups: Groups, candidates: Sequence[int], seats: int) -> Stv:
    """Single transferable vote by the Scottish rules: Droop quota, the weighted
    inclusive Gregory method, values truncated to five decimals, the largest surplus
    first, else the exclusion of the lowest (ties broken by the earlier rounds, then
    by the option's position)."""
    cands = list(candidates)
    # Each parcel: its ranking, its weight (ballots) and its value per ballot.
    parcels = [[list(ranking), weight, SCALE] for ranking, weight in groups if ranking]
    valid = sum(parcel[1] for parcel in parcels)
    quota = valid // (seats + 1) + 1
    quota_scaled = quota * SCALE
    elected: list[int] = []
    excluded: set[int] = set()
    transferred: set[int] = set()
    history: list[dict[int, int]] = []
    rounds: list[StvRound] = []

    def holder(ranking: list[int]) -> int | None:
        for c in ranking:
            if c not in excluded and (c not in elected or c not in transferred):
                return c
        return None

    def totals() -> tuple[dict[int, int], int]:
        out = {c: 0 for c in cands if c not in excluded}
        exhausted = 0
        for ranking, weight, value in parcels:
            c = holder(ranking)
            if c is None:
                exhausted += weight * value
            else:
                out[c] += weight * value
        for c in transferred:  # an elected candidate keeps the quota
            out[c] = quota_scaled
        return out, exhausted

    while True:
        current, exhausted = totals()
        continuing = [c for c in cands if c not in excluded and c not in elected]
        step = StvRound(len(rounds) + 1, dict(current), exhausted)
        rounds.append(step)
        history.append(current)
        for c in sorted(continuing, key=lambda c: -current[c]):
            if current[c] >= quota_scaled and len(elected) < seats:
                elected.append(c)
                step.elected.append(c)
        continuing = [c for c in continuing if c not in elected]
        if len(elected) == seats:
            break
        if len(continuing) <= seats - len(elected):
            elected.extend(continuing)  # as many places left as candidates
            step.elected.extend(continuing)
            break
        for c in elected:  # no surplus: the ballots stay spent on this candidate
            if c not in transferred and current[c] <= quota_scaled:
                for parcel in parcels:
                    if holder(parcel[0]) == c:
                        parcel[2] = 0
                transferred.add(c)
        surpluses = [
            (current[c] - quota_scaled, c)
            for c in elected
            if c not in transferred and current[c] > quota_scaled
        ]
        if surpluses:
            surplus, c = max(surpluses, key=lambda s: (s[0], -cands.index(s[1])))
            value = surplus * SCALE // current[c]
            for parcel in parcels:
                if holder(parcel[0]) == c:
                    parcel[2] = parcel[2] * value // SCALE
            transferred.add(c)
            step.transferred_from, step.transfer_value = c, value
            continue
        lowest = min(
            continuing,
            key=lambda c: (
                current[c],
                *(earlier.get(c, 0) for earlier in reversed(history[:-1])),
                -cands.index(c),
            ),
        )
        excluded.add(lowest)
        step.excluded = lowest
    return Stv(cands, seats, quota, valid, elected, rounds)


def decimal(value: int) -> str:
    """A scaled value as a decimal string ("5.5")."""
    whole, frac = divmod(value, SCALE)
    return f"{whole}.{frac:05d}".rstrip("0").rstrip(".")
