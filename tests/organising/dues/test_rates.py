"""Rates follow the schedule in force: brackets, minimum, reduced rates, periods and
the edges between two schedules."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from organising.dues import periods as P
from organising.dues.models import Schedule
from organising.dues.rates import apply_rate, load_schedules, schedule_on
from organising.dues.services import BracketSpec, expected_cents, schedule_create

from .conftest import TWO_YEARS_AGO, make_schedule


def loaded_on(day):
    return schedule_on(load_schedules(), day)


def test_rate_rounds_half_up_to_the_cent():
    assert apply_rate(150_050, 100) == 1501  # 15.005 € -> 15.01 €
    assert apply_rate(150_049, 100) == 1500
    assert apply_rate(0, 200) == 0


@pytest.mark.parametrize(
    ("income_floor", "category", "monthly"),
    [
        (None, "", 500),  # nothing declared: the minimum
        (0, "", 500),  # 0.5 % of 0 is below the minimum
        (99_999, "", 500),  # just under 1,000 €: still the first bracket
        (100_000, "", 1000),  # exactly on the bound: the second bracket (1 %)
        (250_000, "", 3000),  # 1.5 % of the bracket's floor (2,000 €)
        (400_000, "", 8000),  # the top bracket, open-ended
        (0, "student", 200),  # reduced rate
        # The 1,000-2,000 € bracket is not entirely below the retirees' 1,500 € ceiling.
        (100_000, "retired", 1000),
    ],
)
def test_monthly_amount_on_bracket_edges(schedule, income_floor, category, monthly):
    loaded = loaded_on(timezone.localdate())
    assert (
        loaded.monthly_cents(income_floor_cents=income_floor, category=category)
        == monthly
    )


def test_retiree_rate_applies_only_below_the_threshold(tree, national_treasurer):
    make_schedule(
        national_treasurer,
        brackets=[
            BracketSpec(0, 50),
            BracketSpec(150_000, 100),
            BracketSpec(300_000, 150),
        ],
    )
    loaded = loaded_on(timezone.localdate())
    # 0-1,500 €: its upper bound equals the ceiling, so the reduced rate applies.
    assert loaded.monthly_cents(income_floor_cents=0, category="retired") == 300
    assert loaded.monthly_cents(income_floor_cents=150_000, category="retired") == 1500


def test_reduced_rate_never_raises_the_amount(tree, national_treasurer):
    make_schedule(national_treasurer, minimum_monthly_cents=100)
    loaded = loaded_on(timezone.localdate())
    # 0.5 % of 0 -> minimum 1 €: the 2 € student rate would be more, so 1 € stays.
    assert loaded.monthly_cents(income_floor_cents=0, category="student") == 100


def test_quarterly_and_yearly_periods_multiply_the_monthly_amount(
    tree, national_treasurer
):
    make_schedule(national_treasurer, period=P.QUARTERLY)
    quarterly = loaded_on(timezone.localdate())
    assert quarterly.period_cents(income_floor_cents=100_000) == 3000


def test_new_schedule_closes_the_previous_one_the_day_before(
    schedule, national_treasurer
):
    start = P.add_months(timezone.localdate().replace(day=1), 1)
    new = make_schedule(national_treasurer, valid_from=start, minimum_monthly_cents=700)
    schedule.refresh_from_db()
    assert schedule.valid_until == start - timedelta(days=1)
    # The last day of the old schedule and the first of the new one.
    assert loaded_on(start - timedelta(days=1)).schedule == schedule
    assert loaded_on(start).schedule == new
    assert loaded_on(start).monthly_cents(income_floor_cents=None) == 700
    # Before the first schedule, nothing is in force.
    assert loaded_on(TWO_YEARS_AGO - timedelta(days=1)) is None


def test_expected_dues_follow_the_schedule_in_force_on_the_day(
    schedule, national_treasurer, member
):
    start = P.add_months(timezone.localdate().replace(day=1), 2)
    make_schedule(national_treasurer, valid_from=start, minimum_monthly_cents=900)
    assert expected_cents(member) == 500
    assert expected_cents(member, on=start) == 900
    assert expected_cents(member, on=TWO_YEARS_AGO - timedelta(days=1)) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_from": date(2030, 1, 15)}, "valid_from"),  # not a period start
        ({"period": P.QUARTERLY, "valid_from": date(2030, 2, 1)}, "valid_from"),
        ({"brackets": [BracketSpec(100, 50)]}, "brackets"),  # does not start at 0
        ({"brackets": [BracketSpec(0, 50), BracketSpec(0, 60)]}, "brackets"),
        ({"brackets": [BracketSpec(0, 10_001)]}, "brackets"),  # over 100 %
        ({"shares": {0: 5000, 1: 5000, 2: 0, 3: 1}}, "shares"),  # not 100 %
        ({"shares": {0: 10_000}}, "shares"),  # a level missing
        ({"minimum_monthly_cents": -1}, "minimum_monthly_cents"),
    ],
)
def test_invalid_schedules_are_refused(tree, national_treasurer, overrides, field):
    with pytest.raises(ValidationError) as error:
        make_schedule(national_treasurer, **overrides)
    assert field in error.value.message_dict
    assert not Schedule.objects.exists()


def test_schedule_cannot_start_before_a_period_already_called(
    schedule, national_treasurer, member
):
    from organising.dues.services import charges_issue

    charges_issue()
    with pytest.raises(ValidationError) as error:
        make_schedule(
            national_treasurer, valid_from=timezone.localdate().replace(day=1)
        )
    assert "valid_from" in error.value.message_dict


def test_only_the_national_treasurer_sets_the_schedule(tree, make_member):
    from members.models import Role

    federation_treasurer = make_member(
        tree.cell_a1x, roles=[(tree.fed_a, Role.Kind.TREASURER)]
    )
    with pytest.raises(PermissionDenied):
        make_schedule(federation_treasurer)
    secretary = make_member(tree.cell_a1x, roles=[(tree.national, Role.Kind.SECRETARY)])
    with pytest.raises(PermissionDenied):
        schedule_create(
            by=secretary,
            name="x",
            period=P.MONTHLY,
            valid_from=TWO_YEARS_AGO,
            minimum_monthly_cents=0,
            brackets=[BracketSpec(0, 0)],
            shares={0: 10_000, 1: 0, 2: 0, 3: 0},
        )
