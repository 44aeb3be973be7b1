"""The party's schedule of rates, set by the national treasurer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from federation import access
from federation.models import Level, Unit
from organising.audit.services import audit_record

from .. import periods as P
from ..models import (
    FULL_SHARE_BP,
    Bracket,
    Kind,
    LedgerLine,
    ReducedRate,
    Schedule,
    Share,
)


@dataclass(frozen=True)
class BracketSpec:
    lower_cents: int
    rate_bp: int


@dataclass(frozen=True)
class ReducedSpec:
    category: str
    monthly_cents: int
    income_ceiling_cents: int | None = None


def _check_int(
    value, field: str, *, minimum: int = 0, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            {field: _("Give a whole number, %(min)s or more.") % {"min": minimum}}
        )
    if maximum is not None and value > maximum:
        raise ValidationError(
            {field: _("Give a number up to %(max)s.") % {"max": maximum}}
        )
    return value


@transaction.atomic
def schedule_create(
    *,
    by,
    name: str,
    period: str,
    valid_from: date,
    minimum_monthly_cents: int,
    brackets: list[BracketSpec],
    reduced: list[ReducedSpec] = (),
    shares: dict[int, int],
    note: str = "",
) -> Schedule:
    """Publish a new schedule from `valid_from` (the first day of one of its periods,
    after every period already called). The schedule in force ends the day before;
    nothing older changes. `shares` maps a level depth to its basis points."""
    root = Unit.objects.get_first_root_node()
    if root is None:
        raise ValidationError(_("The organisation has no national unit yet."))
    access.require(by, "dues.schedule", root)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the schedule.")})
    if period not in Schedule.Period.values:
        raise ValidationError({"period": _("Choose monthly, quarterly or yearly.")})
    if not isinstance(valid_from, date) or not P.is_period_start(valid_from, period):
        raise ValidationError(
            {
                "valid_from": _(
                    "A schedule starts on the first day of one of its periods."
                )
            }
        )
    # Earlier schedules are history: a new one starts after them and after every
    # period whose dues were already called.
    Schedule.objects.select_for_update().order_by("-valid_from").first()
    latest = Schedule.objects.order_by("-valid_from").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise ValidationError(
            {
                "valid_from": _("A new schedule starts after %(day)s.")
                % {"day": latest.valid_from}
            }
        )
    last_called = LedgerLine.objects.filter(kind=Kind.CHARGE).aggregate(
        last=Max("period")
    )["last"]
    if last_called is not None and valid_from <= last_called:
        raise ValidationError(
            {
                "valid_from": _(
                    "Dues were already called up to %(day)s: start after that period."
                )
                % {"day": last_called}
            }
        )
    _check_int(minimum_monthly_cents, "minimum_monthly_cents")
    specs = sorted(brackets, key=lambda b: b.lower_cents)
    if not specs or specs[0].lower_cents != 0:
        raise ValidationError({"brackets": _("The first bracket starts at 0 €.")})
    if len({b.lower_cents for b in specs}) != len(specs):
        raise ValidationError({"brackets": _("Two brackets start at the same income.")})
    for spec in specs:
        _check_int(spec.lower_cents, "brackets")
        _check_int(spec.rate_bp, "brackets", maximum=FULL_SHARE_BP)
    categories = [r.category for r in reduced]
    if len(set(categories)) != len(categories):
        raise ValidationError({"reduced": _("A reduced rate is given twice.")})
    for spec in reduced:
        if spec.category not in ReducedRate.Category.values:
            raise ValidationError({"reduced": _("Unknown reduced rate category.")})
        _check_int(spec.monthly_cents, "reduced")
        if spec.income_ceiling_cents is not None:
            _check_int(spec.income_ceiling_cents, "reduced", minimum=1)
    levels = {level.depth: level for level in Level.objects.all()}
    if set(shares) != set(levels):
        raise ValidationError(
            {"shares": _("Give a share for every level of the tree.")}
        )
    for value in shares.values():
        _check_int(value, "shares", maximum=FULL_SHARE_BP)
    if sum(shares.values()) != FULL_SHARE_BP:
        raise ValidationError({"shares": _("The shares must add up to 100 %.")})

    if latest is not None and (
        latest.valid_until is None or latest.valid_until >= valid_from
    ):
        latest.valid_until = valid_from - timedelta(days=1)
        latest.save(update_fields=["valid_until"])
    schedule = Schedule.objects.create(
        name=name,
        period=period,
        valid_from=valid_from,
        minimum_monthly_cents=minimum_monthly_cents,
        note=(note or "").strip(),
        created_by=by,
    )
    Bracket.objects.bulk_create(
        [
            Bracket(schedule=schedule, lower_cents=b.lower_cents, rate_bp=b.rate_bp)
            for b in specs
        ]
    )
    ReducedRate.objects.bulk_create(
        [
            ReducedRate(
                schedule=schedule,
                category=r.category,
                monthly_cents=r.monthly_cents,
                income_ceiling_cents=r.income_ceiling_cents,
            )
            for r in reduced
        ]
    )
    Share.objects.bulk_create(
        [
            Share(schedule=schedule, level=levels[depth], share_bp=value)
            for depth, value in shares.items()
        ]
    )
    audit_record(
        actor=by,
        action="dues.schedule_create",
        target=schedule,
        unit=root,
        data={"valid_from": valid_from.isoformat(), "period": period},
    )
    return schedule
