"""Forms check the shape of input; the services decide the rules."""

from __future__ import annotations

import uuid
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import periods as P
from .models import Method, ReducedRate, Schedule
from .rates import LoadedSchedule, schedule_on
from .services import BracketSpec, ReducedSpec, parse_euros
from .templatetags.dues_tags import euros

REASONS = [
    ("AM04", _("AM04 – insufficient funds")),
    ("AC04", _("AC04 – account closed")),
    ("MD01", _("MD01 – no valid mandate")),
    ("MS02", _("MS02 – refused by the member")),
    ("MD06", _("MD06 – refund requested by the member")),
    ("OTHER", _("Another reason")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AmountField(forms.CharField):
    """An amount in euros ("12,50") cleaned to whole cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            cents = parse_euros(text)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        if cents <= 0:
            raise ValidationError(_("The amount must be more than zero."))
        return cents


def period_choices(schedules: list[LoadedSchedule], *, back: int = 6, ahead: int = 6):
    """Recent and coming periods of the schedules in force, as (key, label)."""
    today = timezone.localdate()
    loaded = schedule_on(schedules, today)
    if loaded is None:
        return []
    kind = loaded.period
    current = P.period_start(today, kind)
    starts = [
        P.add_months(current, loaded.months * offset)
        for offset in range(-back, ahead + 1)
    ]
    return [
        (P.period_key(start, kind), P.period_key(start, kind))
        for start in starts
        if schedule_on(schedules, start) is not None
    ]


class IdempotentForm(forms.Form):
    """Carries a fresh idempotency key in a hidden field: the same form submitted
    twice (a double click, a refresh, a retry) records once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class PaymentForm(IdempotentForm):
    amount = AmountField(label=_("Amount (€)"))
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    cheque_number = forms.CharField(
        label=_("Cheque number"), max_length=40, required=False
    )
    periods = forms.MultipleChoiceField(
        label=_("Periods paid"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the oldest periods still owed are paid first."),
    )
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, schedules: list[LoadedSchedule] | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["periods"].choices = period_choices(schedules or [])

    def payment_fields(self) -> dict:
        """The payment as the recording services take it (keyword arguments)."""
        data = self.cleaned_data
        return {
            "amount_cents": data["amount"],
            "paid_on": data["paid_on"],
            "method": data["method"],
            "idempotency_key": data["idempotency_key"],
            "periods": data.get("periods") or None,
            "cheque_number": data["cheque_number"],
            "reference": data["reference"],
            "note": data["note"],
        }


class DeclaredPaymentForm(PaymentForm):
    method = forms.ChoiceField(
        label=_("How you paid"),
        choices=[(m.value, m.label) for m in Method if m != Method.DIRECT_DEBIT],
    )


class ReverseForm(IdempotentForm):
    reason = forms.CharField(label=_("Why is this payment corrected?"), max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class BracketForm(forms.Form):
    # Radio buttons: each choice says its dues in full, which a phone's select
    # would cut.
    bracket = forms.TypedChoiceField(
        label=_("Your net monthly income"), coerce=int, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(
        label=_("Reduced rate"), required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, schedule: LoadedSchedule, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for bracket in schedule.brackets:
            upper = schedule.upper_of(bracket)
            dues = euros(schedule.period_cents(income_floor_cents=bracket.lower_cents))
            if upper is None:
                span = _("%(low)s or more") % {"low": euros(bracket.lower_cents)}
            else:
                span = _("%(low)s to %(high)s") % {
                    "low": euros(bracket.lower_cents),
                    "high": euros(upper),
                }
            choices.append(
                (
                    bracket.lower_cents,
                    _("%(span)s: %(amount)s (%(period)s)")
                    % {
                        "span": span,
                        "amount": dues,
                        "period": schedule.schedule.get_period_display(),
                    },
                )
            )
        self.fields["bracket"].choices = choices
        self.fields["category"].choices = [("", _("None"))] + [
            (category, ReducedRate.Category(category).label)
            for category in schedule.reduced
        ]


def bracket_form_for(dues) -> BracketForm | None:
    """The member's bracket form under the schedule in force, showing their current
    declaration; None when the schedule has no brackets to choose from."""
    schedule = dues.schedule
    if schedule is None or not schedule.brackets:
        return None
    initial = {}
    if dues.declaration is not None:
        declared = dues.declaration
        bracket = schedule.bracket_for_income(declared.bracket.lower_cents)
        initial = {"bracket": bracket.lower_cents, "category": declared.category}
    return BracketForm(schedule=schedule, initial=initial)


class PostalAddressForm(forms.Form):
    address = forms.CharField(
        label=_("Postal address"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
        help_text=_("Street, then postcode and town: your tax receipts name it."),
    )


class MandateForm(forms.Form):
    holder_name = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bic = forms.CharField(label=_("BIC (optional)"), max_length=11, required=False)
    agree = forms.BooleanField(
        label=_(
            "I authorise the party to send instructions to my bank to debit my "
            "account, and my bank to debit it, for my dues. I may ask my bank for a "
            "refund within "
            "eight weeks of a debit."
        )
    )


class ExemptionForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Until (optional)"), widget=DateInput(), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ChargeCorrectForm(forms.Form):
    period = forms.CharField(
        label=_("Period called by mistake"),
        max_length=7,
        help_text=_("As 2026-03 (a month), 2026-Q1 or 2026."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ExemptionEndForm(forms.Form):
    reason = forms.CharField(label=_("Why it ends"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[
            ("utf-8", "UTF-8"),
            ("cp1252", _("Windows-1252 (older Excel, some banks)")),
        ],
        initial="utf-8",
    )


class DebitBatchForm(forms.Form):
    period = forms.ChoiceField(label=_("Period to collect"))
    collection_date = forms.DateField(label=_("Collection date"), widget=DateInput())

    def __init__(self, *args, schedules: list[LoadedSchedule], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices(schedules, back=3, ahead=1)

    def clean_period(self) -> date:
        start, _kind = P.parse_period_key(self.cleaned_data["period"])
        return start


class DebitReturnForm(forms.Form):
    code = forms.ChoiceField(label=_("Return reason"), choices=REASONS)
    detail = forms.CharField(label=_("Detail"), max_length=100, required=False)

    @property
    def reason(self) -> str:
        code = self.cleaned_data["code"]
        detail = self.cleaned_data.get("detail", "")
        return f"{code} {detail}".strip()


class ReportPeriodForm(forms.Form):
    period = forms.CharField(required=False, max_length=7)

    def clean_period(self) -> date | None:
        key = self.cleaned_data.get("period")
        if not key:
            return None
        start, _kind = P.parse_period_key(key)
        return start


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    period = forms.ChoiceField(label=_("Dues period"), choices=Schedule.Period.choices)
    valid_from = forms.DateField(label=_("In force from"), widget=DateInput())
    minimum = AmountField(label=_("Minimum per month (€)"), required=False)
    brackets = forms.CharField(
        label=_("Brackets"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One per line: the net monthly income it starts from (€), then the rate "
            "(%), "
            "for example “1500 ; 1,5”. The first starts from 0."
        ),
    )
    student = AmountField(label=_("Students, per month (€)"), required=False)
    unemployed = AmountField(label=_("Unemployed, per month (€)"), required=False)
    retired = AmountField(label=_("Retirees, per month (€)"), required=False)
    retired_ceiling = AmountField(
        label=_("Retirees: only below a net monthly income of (€)"), required=False
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = list(levels)
        for level in self.levels:
            self.fields[f"share_{level.depth}"] = forms.DecimalField(
                label=_("Share of %(level)s (%%)") % {"level": level.name},
                min_value=0,
                max_value=100,
                decimal_places=2,
            )

    def clean_brackets(self) -> list[tuple[int, int]]:
        out = []
        for number, line in enumerate(
            self.cleaned_data["brackets"].splitlines(), start=1
        ):
            if not line.strip():
                continue
            parts = [
                part for part in line.replace("\t", ";").split(";") if part.strip()
            ]
            if len(parts) != 2:
                raise ValidationError(
                    _("Line %(n)s: write “income ; rate”.") % {"n": number}
                )
            try:
                lower = parse_euros(parts[0])
                rate = parse_euros(parts[1])  # a percentage with two decimals = bp
            except ValidationError as error:
                raise ValidationError(
                    _("Line %(n)s: %(e)s")
                    % {"n": number, "e": " ".join(error.messages)}
                ) from None
            out.append((lower, rate))
        if not out:
            raise ValidationError(_("Give at least one bracket."))
        return out

    def shares(self) -> dict[int, int]:
        return {
            level.depth: int(self.cleaned_data[f"share_{level.depth}"] * 100)
            for level in self.levels
        }

    def schedule_fields(self) -> dict:
        """The schedule as `schedule_create` takes it (keyword arguments)."""
        data = self.cleaned_data
        reduced = [
            ReducedSpec(category, data[category], None)
            for category in ("student", "unemployed")
            if data.get(category) is not None
        ]
        if data.get("retired") is not None:
            reduced.append(
                ReducedSpec("retired", data["retired"], data.get("retired_ceiling"))
            )
        return {
            "name": data["name"],
            "period": data["period"],
            "valid_from": data["valid_from"],
            "minimum_monthly_cents": data.get("minimum") or 0,
            "brackets": [BracketSpec(low, rate) for low, rate in data["brackets"]],
            "reduced": reduced,
            "shares": self.shares(),
            "note": data["note"],
        }
