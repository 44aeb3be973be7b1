"""A vote's result: totals, turnout against the electorate, the quorum, the
winners with the count's rounds, and the breakdown by every unit below the vote's.

The database does the counting: ballots are grouped by (unit, choices, proxy) and
electors by unit in two GROUP BY queries; Python then adds the grouped rows up the
tree along the units' paths (a few rows per unit, never one per ballot). Ranked
ballots are grouped by ranking for the Schulze or STV count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db.models import Count, Sum

from federation.models import Unit

from . import counting
from .models import Ballot, Vote


@dataclass
class UnitFigures:
    unit_id: int
    name: str
    path: str
    depth: int
    electorate: int = 0
    ballots: int = 0
    by_proxy: int = 0
    votes: list[int] = field(default_factory=list)  # weighted, per option position

    @property
    def turnout_percent(self) -> float:
        return round(100 * self.ballots / self.electorate, 1) if self.electorate else 0


@dataclass
class Result:
    kind: str
    options: list[str]
    electorate: int
    ballots: int
    by_proxy: int
    votes: list[int]  # per option: weighted (ranked: first preferences)
    proxy_votes: list[int]  # the part of `votes` cast by proxy holders
    quorum_needed: int
    winners: list[int]
    tie: bool = False
    adopted: bool | None = None  # motions
    seats: int = 1
    # Schulze: the pairwise preferences and strongest paths, as rows per candidate.
    pairwise: list[list[int]] | None = None
    paths: list[list[int]] | None = None
    order: list[int] | None = None
    # STV: the quota and each round (totals as decimal strings).
    quota: int | None = None
    rounds: list[dict] | None = None
    breakdown: list[UnitFigures] = field(default_factory=list)

    @property
    def quorum_met(self) -> bool:
        return self.ballots >= self.quorum_needed

    @property
    def turnout_percent(self) -> float:
        return round(100 * self.ballots / self.electorate, 1) if self.electorate else 0

    def as_json(self) -> dict:
        data = asdict(self)
        data["quorum_met"] = self.quorum_met
        data["turnout_percent"] = self.turnout_percent
        for row, figures in zip(data["breakdown"], self.breakdown, strict=True):
            row["turnout_percent"] = figures.turnout_percent
        return data

    @classmethod
    def from_json(cls, data: dict) -> Result:
        data = dict(data)
        data.pop("quorum_met", None)
        data.pop("turnout_percent", None)
        rows = []
        for row in data.pop("breakdown", []):
            row = dict(row)
            row.pop("turnout_percent", None)
            rows.append(UnitFigures(**row))
        return cls(**data, breakdown=rows)


def compute(vote: Vote) -> Result:
    """Count the vote now (what closing keeps, or live results while open)."""
    labels = list(vote.options.values_list("label", flat=True))
    n = len(labels)
    root_path = vote.unit.path
    step = Unit.steplen
    weight = Sum("weight") if vote.weighted else Count("pk")
    # Per ballot unit: [ballots, by proxy, votes per option].
    direct: dict[int, list] = {}
    totals, proxies = [0] * n, [0] * n
    ballots = by_proxy = 0
    for unit_id, mask, proxy, count, weighed in (
        Ballot.objects.filter(vote=vote)
        .values_list("ballot_unit_id", "mask", "by_proxy")
        .annotate(count=Count("pk"), weighed=weight)
        .order_by()
    ):
        entry = direct.get(unit_id)
        if entry is None:
            entry = direct[unit_id] = [0, 0, [0] * n]
        entry[0] += count
        ballots += count
        if proxy:
            entry[1] += count
            by_proxy += count
        votes = entry[2]
        p = 0
        while mask:
            if mask & 1:
                votes[p] += weighed
                totals[p] += weighed
                if proxy:
                    proxies[p] += weighed
            mask >>= 1
            p += 1
    units = {
        pk: UnitFigures(pk, name, path, depth, votes=[0] * n)
        for pk, name, path, depth in Unit.objects.filter(
            path__startswith=root_path
        ).values_list("pk", "name", "path", "depth")
    }
    root = next(f for f in units.values() if f.path == root_path)
    for unit_id, (count, proxy, votes) in direct.items():
        figures = units.get(unit_id, root)  # a group's member outside the unit
        figures.ballots += count
        figures.by_proxy += proxy
        figures.votes = [a + b for a, b in zip(figures.votes, votes, strict=True)]
    for key, count in (vote.electorate_by_unit or {}).items():
        units.get(int(key), root).electorate += count
    # Add each unit's figures to its parent's, deepest first: every unit then holds
    # the sums of its subtree.
    by_path = {figures.path: figures for figures in units.values()}
    for figures in sorted(units.values(), key=lambda f: -f.depth):
        if figures is root or not (figures.ballots or figures.electorate):
            continue
        parent = by_path[figures.path[:-step]]
        parent.ballots += figures.ballots
        parent.by_proxy += figures.by_proxy
        parent.electorate += figures.electorate
        parent.votes = [a + b for a, b in zip(parent.votes, figures.votes, strict=True)]
    result = Result(
        kind=vote.kind,
        options=labels,
        electorate=vote.electorate_size,
        ballots=ballots,
        by_proxy=by_proxy,
        votes=totals,
        proxy_votes=proxies,
        quorum_needed=vote.quorum_needed,
        winners=[],
        seats=vote.seats,
        breakdown=sorted(
            (f for f in units.values() if f.electorate or f.ballots),
            key=lambda f: f.path,
        ),
    )
    _decide(vote, result)
    return result


def _decide(vote: Vote, result: Result) -> None:
    if not result.ballots:
        return
    votes = result.votes
    if vote.kind == Vote.Kind.MOTION:
        result.adopted = result.quorum_met and votes[0] > votes[1]
        result.tie = votes[0] == votes[1]
        result.winners = [0] if result.adopted else []
        return
    if vote.kind in (Vote.Kind.SINGLE, Vote.Kind.MULTIPLE):
        ranked = sorted(range(len(votes)), key=lambda p: (-votes[p], p))
        seats = vote.seats if vote.kind == Vote.Kind.MULTIPLE else 1
        result.winners = ranked[:seats]
        if len(ranked) > seats:
            result.tie = votes[ranked[seats - 1]] == votes[ranked[seats]]
        return
    weight = Sum("weight") if vote.weighted else Count("pk")
    groups = [
        ([int(p) for p in ranking.split(",")], count)
        for ranking, count in Ballot.objects.filter(vote=vote)
        .values_list("ranking")
        .annotate(count=weight)
        .order_by("ranking")
        if ranking
    ]
    candidates = list(range(len(result.options)))
    if vote.seats == 1:
        count = counting.schulze(groups, candidates)
        result.winners = count.winners[:1] if not count.tie else count.winners
        result.tie = count.tie
        result.order = count.order
        result.pairwise = [
            [count.pairwise[a][b] for b in candidates] for a in candidates
        ]
        result.paths = [[count.paths[a][b] for b in candidates] for a in candidates]
        return
    count = counting.stv(groups, candidates, vote.seats)
    result.winners = count.elected
    result.quota = count.quota
    result.rounds = [
        {
            "number": r.number,
            "totals": {str(c): counting.decimal(v) for c, v in r.totals.items()},
            "exhausted": counting.decimal(r.exhausted),
            "elected": r.elected,
            "excluded": r.excluded,
            "transferred_from": r.transferred_from,
            "transfer_value": (
                counting.decimal(r.transfer_value)
                if r.transfer_value is not None
                else None
            ),
        }
        for r in count.rounds
    ]


def result_of(vote: Vote) -> Result:
    """The kept result of a closed vote, or the count now."""
    if vote.is_closed and vote.result:
        return Result.from_json(vote.result)
    return compute(vote)
