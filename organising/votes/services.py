"""Every write of the votes: creating and editing a draft, opening (the electorate
snapshot), casting and changing ballots, proxies, delegate weights, closing (the
count kept, `signals.vote_closed` sent on commit), and the sweep that opens and
closes votes on time.

Keyword-only, atomic, an audit row in the same transaction for what officers do.
A ballot leaves no audit row and no log line: that would link it to its voter.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from federation import access
from federation.models import Audience, Group, GroupMembership, Unit
from organising import queueing, ratelimits
from organising.audit.services import audit_record
from organising.messaging.text import clean_html

from . import live, signals
from .models import (
    MAX_OPTIONS,
    Ballot,
    Elector,
    Option,
    Participation,
    Proxy,
    Vote,
    Weight,
)

logger = logging.getLogger(__name__)

# Votes due within this many seconds get a task queued for their exact time; the
# sweep (every minute) catches every other one, and any lost task.
ETA_WINDOW_SECONDS = 3600
# A secret ballot is counted under its voter's cell only when at least this many
# electors of the vote live there; otherwise under the first unit above with as
# many (a cell of three voting alike would show how each voted).
MIN_BREAKDOWN = 5
# Translated when the motion is created, in the language of the request.
MOTION_OPTIONS = (gettext_noop("For"), gettext_noop("Against"), gettext_noop("Abstain"))
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RECEIPT_LENGTH = 12  # 60 bits
ELECTORATE_AUDIENCES = (
    Audience.UNIT,
    Audience.UNIT_TREE,
    Audience.GROUP,
    Audience.OFFICERS,
)
EDITABLE_FIELDS = (
    "title",
    "text",
    "kind",
    "options",
    "max_choices",
    "seats",
    "opens_at",
    "closes_at",
    "quorum_percent",
    "quorum_count",
    "secret",
    "results_while_open",
    "adherents_only",
    "dues_required",
    "allow_change",
    "max_proxies",
    "weighted",
    "event",
)


def _transition(vote: Vote, to: str) -> None:
    """Move the vote along its state graph (`Vote.TRANSITIONS`) or refuse."""
    if to not in Vote.TRANSITIONS[vote.status]:
        raise ValidationError(
            {
                "status": _("This vote is already %(status)s.")
                % {"status": vote.get_status_display()}
            }
        )
    vote.status = to


# --- Creating and editing ----------------------------------------------------------


def _check_vote(vote: Vote, options: list[str]) -> list[str]:
    """The domain rules of a vote's fields; returns the cleaned options."""
    errors: dict[str, str] = {}
    if not vote.title.strip():
        errors["title"] = _("Give the vote a title.")
    if vote.kind not in Vote.Kind.values:
        errors["kind"] = _("Choose a kind of vote.")
    if vote.kind == Vote.Kind.MOTION:
        options = [_(label) for label in MOTION_OPTIONS]
    else:
        options = [str(label).strip() for label in options or []]
        if len(options) < 2 or any(not label for label in options):
            errors["options"] = _("Give at least two options, none empty.")
        elif len(options) > MAX_OPTIONS:
            errors["options"] = _("At most %(n)d options.") % {"n": MAX_OPTIONS}
        elif len({label.casefold() for label in options}) != len(options):
            errors["options"] = _("Two options have the same label.")
        elif any(len(label) > 200 for label in options):
            errors["options"] = _("An option is at most 200 characters long.")
    if vote.opens_at is None:
        errors["opens_at"] = _("Give the opening time.")
    if vote.closes_at is None:
        errors["closes_at"] = _("Give the closing time.")
    elif vote.opens_at is not None and vote.closes_at <= vote.opens_at:
        errors["closes_at"] = _("The vote closes before it opens.")
    n = len(options)
    if vote.kind == Vote.Kind.MULTIPLE:
        if vote.max_choices is None:
            vote.max_choices = n
        if not 1 <= vote.max_choices <= max(n, 1):
            errors["max_choices"] = _("Between one and the number of options.")
    else:
        vote.max_choices = None
    if vote.kind not in (Vote.Kind.RANKED, Vote.Kind.MULTIPLE):
        vote.seats = 1
    if not 1 <= vote.seats < max(n, 2):
        errors["seats"] = _("Fewer seats than candidates, at least one.")
    if vote.quorum_percent is not None and not 0 <= vote.quorum_percent <= 100:
        errors["quorum_percent"] = _("A share between 0 and 100 percent.")
    if vote.max_proxies > 10:
        errors["max_proxies"] = _("At most ten proxies per member.")
    if vote.audience not in ELECTORATE_AUDIENCES:
        errors["audience"] = _(
            "A vote is for a unit, a unit and below, a group or a unit's officers."
        )
    if errors:
        raise ValidationError(errors)
    vote.text_html = clean_html(linebreaks(vote.text)) if vote.text else ""
    return options


def _electorate_target(
    audience: str, unit: Unit | None, group: Group | None
) -> tuple[Unit, Group | None]:
    if audience == Audience.GROUP:
        if group is None:
            raise ValidationError({"audience": _("Choose the group that votes.")})
        return group.unit, group
    if unit is None:
        raise ValidationError({"audience": _("Choose the unit that votes.")})
    return unit, None


@transaction.atomic
def vote_create(
    *,
    by,
    title: str,
    kind: str,
    options: list[str] | None = None,
    audience: str = Audience.UNIT_TREE,
    unit: Unit | None = None,
    group: Group | None = None,
    opens_at: datetime,
    closes_at: datetime,
    text: str = "",
    subject: str = "",
    max_choices: int | None = None,
    seats: int = 1,
    quorum_percent: int | None = None,
    quorum_count: int | None = None,
    secret: bool = True,
    results_while_open: bool = False,
    adherents_only: bool = True,
    dues_required: bool = False,
    allow_change: bool = False,
    max_proxies: int = 2,
    weighted: bool = False,
    event=None,
) -> Vote:
    """A draft vote, opened on time by the sweep (or earlier by its officers).
    `audience` is the electorate: "unit_tree" (a unit and below, the default),
    "unit", "officers" (of `unit`) or "group" (`group`). `subject` lets the
    capability that asked for the vote recognise it ("documents.amendment:12")."""
    owner, group = _electorate_target(audience, unit, group)
    access.require(by, "vote.create", group or owner)
    vote = Vote(
        unit=owner,
        group=group,
        audience=audience,
        audience_unit=None if audience == Audience.GROUP else owner,
        audience_group=group,
        event=event,
        subject=subject[:200],
        kind=kind,
        title=title,
        text=text,
        max_choices=max_choices,
        seats=seats,
        opens_at=opens_at,
        closes_at=closes_at,
        quorum_percent=quorum_percent,
        quorum_count=quorum_count,
        secret=secret,
        results_while_open=results_while_open,
        adherents_only=adherents_only,
        dues_required=dues_required,
        allow_change=allow_change,
        max_proxies=max_proxies,
        weighted=weighted,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    labels = _check_vote(vote, options or [])
    vote.save()
    Option.objects.bulk_create(
        Option(vote=vote, position=i, label=label) for i, label in enumerate(labels)
    )
    audit_record(
        actor=by,
        action="vote.create",
        target=vote,
        unit=owner,
        data={"title": vote.title, "kind": vote.kind, "subject": vote.subject},
    )
    _schedule(vote, "open", vote.opens_at)
    return vote


def _schedule(vote: Vote, step: str, at: datetime) -> None:
    """Queue the task that opens or closes the vote at `at`, after commit, if that
    is soon; otherwise the sweep does it (the database says what is due)."""
    from . import tasks

    if (at - timezone.now()).total_seconds() > ETA_WINDOW_SECONDS:
        return
    task = tasks.vote_open_task if step == "open" else tasks.vote_close_task
    queueing.enqueue_on_commit(task, vote.pk, eta=at)


@transaction.atomic
def vote_edit(*, vote: Vote, by, **changes) -> Vote:
    """Change a draft. Once a vote is open its options, kind and rules are fixed."""
    access.require(by, "vote.manage", vote)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if vote.status != Vote.Status.DRAFT:
        field = "options" if "options" in changes else "status"
        raise ValidationError(
            {field: _("The vote is open: its options and rules can no longer change.")}
        )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    options = changes.pop("options", None)
    for name, value in changes.items():
        setattr(vote, name, value)
    current = [option.label for option in vote.options.all()]
    labels = _check_vote(vote, current if options is None else options)
    vote.save()
    if labels != current:
        vote.options.all().delete()
        Option.objects.bulk_create(
            Option(vote=vote, position=i, label=label) for i, label in enumerate(labels)
        )
    audit_record(
        actor=by,
        action="vote.edit",
        target=vote,
        unit=vote.unit,
        data={"fields": sorted([*changes, *(["options"] if options else [])])},
    )
    return vote


@transaction.atomic
def weights_set(*, vote: Vote, by, weights: dict[int, int]) -> None:
    """Set delegates' weights (member id → members represented) before opening."""
    access.require(by, "vote.manage", vote)
    if vote.status != Vote.Status.DRAFT or not vote.weighted:
        raise ValidationError({"weights": _("Weights are set on a weighted draft.")})
    if any(int(w) < 1 or int(w) > 1_000_000 for w in weights.values()):
        raise ValidationError({"weights": _("A weight is between 1 and 1,000,000.")})
    Weight.objects.filter(vote=vote).delete()
    Weight.objects.bulk_create(
        Weight(vote=vote, member_id=member_id, weight=int(w))
        for member_id, w in weights.items()
    )
    audit_record(
        actor=by,
        action="vote.weights",
        target=vote,
        unit=vote.unit,
        data={"count": len(weights)},
    )


# --- Opening: the electorate snapshot ----------------------------------------------


def _audience_memberships(vote: Vote):
    """The current memberships of everyone in the vote's audience."""
    Membership = apps.get_model("members", "Membership")  # noqa: N806
    Role = apps.get_model("members", "Role")  # noqa: N806
    memberships = Membership.objects.current().filter(user__is_active=True)
    if vote.adherents_only:
        memberships = memberships.filter(status=Membership.Status.ADHERENT)
    if vote.audience == Audience.UNIT_TREE:
        return memberships.filter(unit__path__startswith=vote.audience_unit.path)
    if vote.audience == Audience.UNIT:
        return memberships.filter(unit_id=vote.audience_unit_id)
    if vote.audience == Audience.OFFICERS:
        officers = Role.objects.filter(
            unit_id=vote.audience_unit_id, ended_on__isnull=True
        ).values("user_id")
        return memberships.filter(
            user_id__in=officers, status=Membership.Status.ADHERENT
        )
    members = GroupMembership.objects.filter(
        group_id=vote.audience_group_id, status=GroupMembership.Status.ACTIVE
    ).values("user_id")
    return memberships.filter(user_id__in=members)


def _ballot_units(vote: Vote, cells: dict[str, int]) -> dict[str, str]:
    """For each cell path (with its number of electors), the path its ballots are
    counted under: itself, or in a secret vote the first unit above it with at
    least MIN_BREAKDOWN electors (the vote's own unit at the most)."""
    if not vote.secret:
        return {path: path for path in cells}
    step = Unit.steplen
    below: dict[str, int] = {}
    for path, count in cells.items():
        for i in range(step, len(path) + 1, step):
            below[path[:i]] = below.get(path[:i], 0) + count
    root = vote.unit.path
    out = {}
    for path in cells:
        target = path
        while (
            below[target] < MIN_BREAKDOWN
            and len(target) > step
            and target != root
            and not root.startswith(target)
        ):
            target = target[:-step]
        out[path] = target
    return out


@transaction.atomic
def vote_open(*, vote: Vote, by=None) -> Vote:
    """Open the vote: fix its electorate (who is in the audience and eligible now,
    with their cell and, if asked, their dues standing). `by` None: on time, by the
    sweep. Safe to call twice (an open vote stays as it is)."""
    if by is not None:
        access.require(by, "vote.open", vote)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if vote.status != Vote.Status.DRAFT:
        if by is None:
            return vote
        _transition(vote, Vote.Status.OPEN)
    now = timezone.now()
    if vote.closes_at <= now:
        raise ValidationError({"closes_at": _("The closing time has passed.")})
    rows = list(
        _audience_memberships(vote).values_list("user_id", "unit_id", "unit__path")
    )
    standings: dict = {}
    if vote.dues_required:
        from organising.dues.selectors import standings_for

        standings = standings_for([r[0] for r in rows], on=timezone.localdate())
        rows = [r for r in rows if standings[r[0]].is_good]
    cells: dict[str, int] = {}
    for _user, _unit, path in rows:
        cells[path] = cells.get(path, 0) + 1
    targets = _ballot_units(vote, cells)
    unit_ids = dict(
        Unit.objects.filter(path__in=set(targets.values())).values_list("path", "pk")
    )
    weights = (
        dict(Weight.objects.filter(vote=vote).values_list("member_id", "weight"))
        if vote.weighted
        else {}
    )
    Elector.objects.bulk_create(
        (
            Elector(
                vote=vote,
                member_id=user_id,
                unit_id=unit_id,
                ballot_unit_id=unit_ids[targets[path]],
                standing=standings[user_id].state if standings else "",
                weight=weights.get(user_id, 1),
            )
            for user_id, unit_id, path in rows
        ),
        batch_size=5000,
    )
    _transition(vote, Vote.Status.OPEN)
    vote.electorate_size = len(rows)
    by_unit: dict[str, int] = {}
    for path, count in cells.items():
        key = str(unit_ids[targets[path]])
        by_unit[key] = by_unit.get(key, 0) + count
    vote.electorate_by_unit = by_unit
    vote.opened_at = now
    vote.opened_by = by if getattr(by, "is_authenticated", False) else None
    if vote.opens_at > now:
        vote.opens_at = now  # opened early, live in a meeting
    vote.save()
    audit_record(
        actor=by,
        action="vote.open",
        target=vote,
        unit=vote.unit,
        data={"electorate": vote.electorate_size},
    )
    live.changed(vote, force=True)
    _schedule(vote, "close", vote.closes_at)
    return vote


# --- Ballots -----------------------------------------------------------------------


def _parse_choices(vote: Vote, choices, n: int) -> tuple[int, str]:
    """(mask, ranking) of a ballot's choices (option positions), or a
    ValidationError on "choices" that stores nothing."""
    if not isinstance(choices, list | tuple) or not choices:
        raise ValidationError({"choices": _("Choose an option.")})
    try:
        positions = [int(c) for c in choices]
    except (TypeError, ValueError):
        raise ValidationError({"choices": _("Unknown option.")}) from None
    if any(not 0 <= p < n for p in positions):
        raise ValidationError({"choices": _("Unknown option.")})
    if len(set(positions)) != len(positions):
        raise ValidationError({"choices": _("The same option is chosen twice.")})
    if vote.kind in (Vote.Kind.MOTION, Vote.Kind.SINGLE) and len(positions) != 1:
        raise ValidationError({"choices": _("Choose exactly one option.")})
    if vote.kind == Vote.Kind.MULTIPLE and len(positions) > (vote.max_choices or n):
        raise ValidationError(
            {
                "choices": _("Choose at most %(k)d options.")
                % {"k": vote.max_choices or n}
            }
        )
    if vote.kind == Vote.Kind.RANKED:
        return 1 << positions[0], ",".join(str(p) for p in positions)
    mask = 0
    for p in positions:
        mask |= 1 << p
    return mask, ""


# The advisory-lock space of votes (two-key form: apart from other locks).
LOCK_CLASS = 0x766F7465  # "vote"


def _ballots_in_flight(vote_id: int) -> None:
    """Casting holds a shared lock on the vote for its transaction, closing waits
    for an exclusive one: so closing counts every ballot accepted before it, and a
    ballot arriving during the count waits, then finds the vote closed. An advisory
    lock lives in memory (a FOR SHARE row lock would write the vote's row at every
    ballot). SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_CLASS, vote_id]
            )


def _close_the_box(vote_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, vote_id]
            )


def _open_vote_and_elector(vote: Vote, member_id: int):
    """The vote's status and closing time as they stand (read after the lock) and
    the member's elector row (ballot unit, weight), in one query."""
    _ballots_in_flight(vote.pk)
    row = (
        Vote.objects.filter(pk=vote.pk)
        .annotate(
            e_unit=Subquery(
                Elector.objects.filter(vote=OuterRef("pk"), member_id=member_id).values(
                    "ballot_unit_id"
                )[:1]
            ),
            e_weight=Subquery(
                Elector.objects.filter(vote=OuterRef("pk"), member_id=member_id).values(
                    "weight"
                )[:1]
            ),
        )
        .values_list("status", "closes_at", "e_unit", "e_weight")
        .first()
    )
    vote.status, vote.closes_at, unit_id, weight = row
    if vote.status == Vote.Status.DRAFT:
        raise ValidationError({"vote": _("The vote is not open yet.")})
    if vote.status == Vote.Status.CLOSED or timezone.now() >= vote.closes_at:
        raise ValidationError({"vote": _("The vote is closed.")})
    return unit_id, weight


def _option_count(vote: Vote) -> int:
    """Options are fixed once the vote is open: counted once per vote object."""
    if "_option_count" not in vote.__dict__:
        vote.__dict__["_option_count"] = vote.options.count()
    return vote.__dict__["_option_count"]


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def _participate(vote: Vote, member_id: int, cast_by_id: int | None) -> bool:
    """Record that the member's ballot is cast; False if it already was (the unique
    constraint decides, even for two submissions at the same instant). One
    statement, no savepoint: INSERT ... ON CONFLICT DO NOTHING."""
    table = Participation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (vote_id, member_id, cast_by_id, voted_on)"  # noqa: S608
            " VALUES (%s, %s, %s, %s) ON CONFLICT (vote_id, member_id) DO NOTHING"
            " RETURNING id",
            [vote.pk, member_id, cast_by_id, timezone.localdate()],
        )
        return cursor.fetchone() is not None


@transaction.atomic
def ballot_cast(*, vote: Vote, by, choices, for_member=None) -> str:
    """Cast `by`'s ballot (or, with `for_member`, the ballot of a member who gave
    `by` their proxy). Returns the receipt code, shown once to the voter. A second
    ballot, even submitted at the same instant, is refused by the database."""
    access.require(by, "vote.cast", vote)
    ratelimits.charge("ballot", member=by)
    voter = for_member or by
    mask, ranking = _parse_choices(vote, choices, _option_count(vote))
    unit_id, weight = _open_vote_and_elector(vote, voter.pk)
    if unit_id is None:
        raise ValidationError({"vote": _("You are not in this vote's electorate.")})
    if for_member is not None:
        proxy = (
            Proxy.objects.select_for_update()
            .filter(
                vote=vote,
                giver_id=for_member.pk,
                holder_id=by.pk,
                withdrawn_at__isnull=True,
                used_on__isnull=True,
            )
            .first()
        )
        if proxy is None:
            raise ValidationError({"for_member": _("You hold no proxy from them.")})
        proxy.used_on = timezone.localdate()
        proxy.save(update_fields=["used_on"])
    # A proxy given but not used is spent once the giver votes themselves: the
    # holder's ballot for them would be a second one (refused below).
    if not _participate(vote, voter.pk, by.pk if for_member is not None else None):
        raise ValidationError({"vote": _("A ballot was already cast for this member.")})
    receipt = new_receipt()
    Ballot.objects.create(
        vote=vote,
        mask=mask,
        ranking=ranking,
        ballot_unit_id=unit_id,
        weight=weight if vote.weighted else 1,
        by_proxy=for_member is not None,
        receipt=receipt,
        voter_id=None if vote.secret else voter.pk,
    )
    live.changed(vote)
    return receipt


@transaction.atomic
def ballot_change(*, vote: Vote, by, receipt: str, choices) -> Ballot:
    """Replace a ballot, found by its receipt (not by its voter), while the vote
    allows changes and is open. `by` must have taken part (or hold the proxy)."""
    access.require(by, "vote.cast", vote)
    ratelimits.charge("ballot", member=by)
    _open_vote_and_elector(vote, by.pk)
    if not vote.allow_change:
        raise ValidationError(
            {"vote": _("This vote does not allow changing one's ballot.")}
        )
    took_part = Participation.objects.filter(vote=vote, member_id=by.pk).exists() or (
        Participation.objects.filter(vote=vote, cast_by_id=by.pk).exists()
    )
    ballot = (
        Ballot.objects.select_for_update()
        .filter(vote=vote, receipt=str(receipt).strip().upper())
        .first()
    )
    if not took_part or ballot is None:
        raise ValidationError({"receipt": _("No ballot of yours has this receipt.")})
    if not vote.secret and ballot.voter_id != by.pk and not ballot.by_proxy:
        raise ValidationError({"receipt": _("No ballot of yours has this receipt.")})
    ballot.mask, ballot.ranking = _parse_choices(vote, choices, _option_count(vote))
    ballot.save(update_fields=["mask", "ranking"])
    live.changed(vote)
    return ballot


# --- Proxies -------------------------------------------------------------------------


def _in_electorate(vote: Vote, user) -> bool:
    if vote.status == Vote.Status.OPEN:
        return Elector.objects.filter(vote=vote, member_id=user.pk).exists()
    return _audience_memberships(vote).filter(user_id=user.pk).exists()


@transaction.atomic
def proxy_give(*, vote: Vote, by, holder) -> Proxy:
    """Give one's proxy for this vote to another member of its electorate."""
    access.require(by, "vote.proxy.give", vote)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if vote.status == Vote.Status.CLOSED:
        raise ValidationError({"vote": _("The vote is closed.")})
    if holder is None or holder.pk == by.pk:
        raise ValidationError({"holder": _("Choose another member.")})
    if not _in_electorate(vote, by) or not _in_electorate(vote, holder):
        raise ValidationError(
            {"holder": _("Both of you must be in the vote's electorate.")}
        )
    if Participation.objects.filter(vote=vote, member_id=by.pk).exists():
        raise ValidationError({"vote": _("Your ballot is already cast.")})
    held = (
        Proxy.objects.filter(vote=vote, holder_id=holder.pk, withdrawn_at__isnull=True)
        .exclude(
            used_on__isnull=True,
            giver_id__in=Participation.objects.filter(vote=vote).values("member_id"),
        )
        .count()
    )
    if held >= vote.max_proxies:
        raise ValidationError(
            {"holder": _("This member already holds as many proxies as allowed.")}
        )
    try:
        with transaction.atomic():
            proxy = Proxy.objects.create(vote=vote, giver=by, holder=holder)
    except IntegrityError:
        raise ValidationError(
            {"holder": _("You already gave your proxy; withdraw it first.")}
        ) from None
    audit_record(actor=by, action="vote.proxy.give", target=proxy, unit=vote.unit)
    return proxy


@transaction.atomic
def proxy_withdraw(*, proxy: Proxy, by) -> Proxy:
    """Take a proxy back, while it has not been used."""
    proxy = Proxy.objects.select_for_update().get(pk=proxy.pk)
    if proxy.giver_id != by.pk:
        raise PermissionDenied("vote.proxy.withdraw")
    if not proxy.in_force:
        raise ValidationError({"proxy": _("This proxy was already used or withdrawn.")})
    proxy.withdrawn_at = timezone.now()
    proxy.save(update_fields=["withdrawn_at"])
    audit_record(actor=by, action="vote.proxy.withdraw", target=proxy)
    return proxy


# --- Closing -------------------------------------------------------------------------


def _mix_ballots(vote: Vote) -> None:
    """Rewrite every ballot row of the vote in one statement: each gets a new row
    version, written by this transaction, so the system columns (xmin, the row's
    place in the table) no longer tell which transaction inserted which ballot, i.e.
    which participation it came with."""
    Ballot.objects.filter(vote=vote).update(cast_on=vote.closes_at.date())


@transaction.atomic
def vote_close(*, vote: Vote, by=None) -> Vote:
    """Close the vote (final): count it, keep the result, tell the capability that
    asked for it (`signals.vote_closed`, on commit). `by` None: on time, by the
    sweep. Safe to call twice."""
    from . import results

    if by is not None:
        access.require(by, "vote.close", vote)
    # The box first (waits for ballots in flight), then the row: a ballot holding
    # the box's shared lock inserts a row referencing the vote (FOR KEY SHARE), which
    # FOR NO KEY UPDATE lets through; the other order would deadlock.
    _close_the_box(vote.pk)
    vote = Vote.objects.select_for_update(no_key=True).get(pk=vote.pk)
    if vote.status != Vote.Status.OPEN:
        if by is None and vote.status == Vote.Status.CLOSED:
            return vote
        _transition(vote, Vote.Status.CLOSED)
    now = timezone.now()
    _transition(vote, Vote.Status.CLOSED)
    vote.closed_at = now
    vote.closed_by = by if getattr(by, "is_authenticated", False) else None
    if vote.closes_at > now:
        vote.closes_at = now
    _mix_ballots(vote)
    Proxy.objects.filter(
        vote=vote, withdrawn_at__isnull=True, used_on__isnull=True
    ).update(withdrawn_at=now)
    result = results.compute(vote)
    vote.result = result.as_json()
    vote.save()
    audit_record(
        actor=by,
        action="vote.close",
        target=vote,
        unit=vote.unit,
        data={"ballots": result.ballots, "electorate": vote.electorate_size},
    )
    live.changed(vote, force=True)
    closed = vote
    transaction.on_commit(
        lambda: signals.vote_closed.send_robust(sender=Vote, vote=closed, result=result)
    )
    return vote


# --- On time -------------------------------------------------------------------------


def votes_due(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """The drafts whose opening time has come and the open votes whose closing time
    has passed (ids)."""
    now = now or timezone.now()
    to_open = list(
        Vote.objects.filter(
            status=Vote.Status.DRAFT, opens_at__lte=now, closes_at__gt=now
        ).values_list("pk", flat=True)[:500]
    )
    to_close = list(
        Vote.objects.filter(status=Vote.Status.OPEN, closes_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    return to_open, to_close


def votes_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Open and close what is due (each in its own transaction). Safe to run twice,
    or in two workers at once: each vote's row is locked while it changes."""
    to_open, to_close = votes_due(now=now)
    opened = closed = 0
    for pk in to_open:
        vote = Vote.objects.filter(pk=pk).first()
        if vote is not None and vote_open(vote=vote).status == Vote.Status.OPEN:
            opened += 1
    for pk in to_close:
        vote = Vote.objects.filter(pk=pk).first()
        if vote is not None:
            vote_close(vote=vote)
            closed += 1
    return {"opened": opened, "closed": closed}
