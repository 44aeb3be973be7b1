"""API shapes of the dues capability. Amounts are integer cents; periods are keys
("2025-03", "2025-Q1", "2025")."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import LedgerEntry, Mandate, Method, ReducedRate, Schedule
from .rates import period_label
from .selectors import import_job_done
from .services.base import parse_euros


class StandingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["up_to_date", "late", "exempt", "not_member"]
    )
    late_periods = serializers.IntegerField()
    balance_cents = serializers.IntegerField()
    is_good = serializers.BooleanField()


class BracketOutSerializer(serializers.Serializer):
    lower_cents = serializers.IntegerField()
    upper_cents = serializers.IntegerField(allow_null=True)
    rate_bp = serializers.IntegerField()
    monthly_cents = serializers.IntegerField()


class ReducedSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ReducedRate.Category.choices)
    monthly_cents = serializers.IntegerField(min_value=0)
    income_ceiling_cents = serializers.IntegerField(
        min_value=1, allow_null=True, required=False
    )


class ScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="schedule.pk")
    name = serializers.CharField(source="schedule.name")
    period = serializers.CharField(source="schedule.period")
    valid_from = serializers.DateField(source="schedule.valid_from")
    valid_until = serializers.DateField(source="schedule.valid_until", allow_null=True)
    minimum_monthly_cents = serializers.IntegerField(
        source="schedule.minimum_monthly_cents"
    )
    brackets = serializers.SerializerMethodField()
    reduced = serializers.SerializerMethodField()
    shares = serializers.SerializerMethodField()

    def get_brackets(self, loaded) -> list[dict]:
        return BracketOutSerializer(
            [
                {
                    "lower_cents": b.lower_cents,
                    "upper_cents": upper,
                    "rate_bp": b.rate_bp,
                    "monthly_cents": monthly,
                }
                for b, upper, monthly in loaded.bracket_rows
            ],
            many=True,
        ).data

    def get_reduced(self, loaded) -> list[dict]:
        return ReducedSerializer(list(loaded.reduced.values()), many=True).data

    def get_shares(self, loaded) -> dict[str, int]:
        """Basis points by level depth (0 = national)."""
        return {str(depth): bp for depth, bp in loaded.shares.items()}


class BracketInSerializer(serializers.Serializer):
    lower_cents = serializers.IntegerField(min_value=0)
    rate_bp = serializers.IntegerField(min_value=0, max_value=10_000)


class ScheduleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    period = serializers.ChoiceField(choices=Schedule.Period.choices)
    valid_from = serializers.DateField()
    minimum_monthly_cents = serializers.IntegerField(min_value=0)
    brackets = BracketInSerializer(many=True)
    reduced = ReducedSerializer(many=True, required=False)
    shares = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=10_000),
        help_text='Basis points by level depth ({"0": 2500, ...}), adding up to 10000.',
    )
    note = serializers.CharField(required=False, allow_blank=True)


class PeriodRowSerializer(serializers.Serializer):
    period = serializers.CharField(source="key")
    due_cents = serializers.IntegerField()
    paid_cents = serializers.IntegerField()


class EntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True,
        help_text="payment, reversal, return (a returned debit) or waiver",
    )
    member = serializers.UUIDField(
        source="member.public_id", allow_null=True, read_only=True
    )
    member_name = serializers.CharField(source="member.display_name", read_only=True)
    unit = serializers.SlugField(source="unit.slug", read_only=True)
    created_by = serializers.CharField(
        source="created_by.display_name", allow_null=True, read_only=True
    )
    periods = serializers.SerializerMethodField()
    reverses = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "member",
            "member_name",
            "unit",
            "amount_cents",
            "method",
            "paid_on",
            "cheque_number",
            "reference",
            "note",
            "source",
            "periods",
            "reverses",
            "created_by",
            "created_at",
        ]

    def get_periods(self, entry) -> list[dict]:
        schedules = self.context.get("schedules", [])
        return [
            {
                "period": period_label(line.period, schedules),
                "amount_cents": line.amount_cents,
            }
            for line in entry.lines.all()
        ]


class MyEntrySerializer(EntrySerializer):
    class Meta(EntrySerializer.Meta):
        fields = [f for f in EntrySerializer.Meta.fields if f not in ("member_name",)]


class DeclarationSerializer(serializers.Serializer):
    bracket_lower_cents = serializers.IntegerField(source="bracket.lower_cents")
    category = serializers.CharField(allow_blank=True)
    declared_at = serializers.DateTimeField()


class MandateSerializer(serializers.ModelSerializer):
    iban = serializers.SerializerMethodField()

    class Meta:
        model = Mandate
        fields = ["id", "reference", "holder_name", "iban", "bic", "signed_on", "state"]

    def get_iban(self, mandate) -> str:
        """In full for treasurers; masked for everyone else, the holder included."""
        return mandate.iban if self.context.get("full_iban") else mandate.masked_iban


class MandateCreateSerializer(serializers.Serializer):
    holder_name = serializers.CharField(max_length=70)
    iban = serializers.CharField(max_length=50)
    bic = serializers.CharField(max_length=11, required=False, allow_blank=True)


class ReceiptYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    paid_cents = serializers.IntegerField()
    url = serializers.CharField()


class MyDuesSerializer(serializers.Serializer):
    standing = StandingSerializer()
    expected_period_cents = serializers.IntegerField(allow_null=True)
    period = serializers.CharField(allow_null=True)
    declaration = DeclarationSerializer(allow_null=True)
    transfer_reference = serializers.CharField()
    periods = PeriodRowSerializer(many=True)
    entries = MyEntrySerializer(many=True)
    mandate = MandateSerializer(allow_null=True)
    receipts = ReceiptYearSerializer(many=True)


class BracketDeclareSerializer(serializers.Serializer):
    bracket_lower_cents = serializers.IntegerField(min_value=0)
    category = serializers.ChoiceField(
        choices=[("", "none"), *ReducedRate.Category.choices],
        required=False,
        allow_blank=True,
    )


class PaymentInSerializer(serializers.Serializer):
    """`amount_cents` is a whole number of cents: 12.5 is refused, not rounded. Or
    `amount` in euros as written ("12,50", "1 234,56"), read like the form and the
    import read it. Dues are in euros: any other `currency` is refused."""

    amount_cents = serializers.IntegerField(required=False)
    amount = serializers.CharField(
        max_length=30, required=False, help_text='Euros, e.g. "12,50" (or amount_cents)'
    )
    currency = serializers.CharField(max_length=3, required=False, default="EUR")
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Method.choices)
    periods = serializers.ListField(
        child=serializers.CharField(max_length=7), required=False, default=list
    )
    cheque_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True
    )
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    idempotency_key = serializers.CharField(
        max_length=120,
        required=False,
        help_text="Or the Idempotency-Key header. The same key records once.",
    )

    def validate_currency(self, value: str) -> str:
        if value.upper() != "EUR":
            raise serializers.ValidationError(
                _("Dues are paid in euros: the currency must be EUR.")
            )
        return "EUR"

    def validate(self, data):
        if "amount" in data and "amount_cents" in data:
            raise serializers.ValidationError(
                {"amount": _("Give amount or amount_cents, not both.")}
            )
        if "amount" in data:
            try:
                data["amount_cents"] = parse_euros(data.pop("amount"))
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from None
        if "amount_cents" not in data:
            raise serializers.ValidationError(
                {"amount_cents": _("Give the amount (amount_cents or amount).")}
            )
        return data


class PaymentRecordSerializer(PaymentInSerializer):
    member = serializers.UUIDField(help_text="The member's public id.")


class DeclaredPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount_cents = serializers.IntegerField()
    paid_on = serializers.DateField()
    method = serializers.CharField()
    periods = serializers.ListField(child=serializers.DateField())
    state = serializers.CharField()
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    idempotency_key = serializers.CharField(max_length=120, required=False)


class ImportUploadSerializer(serializers.Serializer):
    unit = serializers.SlugField()
    file = serializers.FileField()
    encoding = serializers.ChoiceField(choices=["utf-8", "cp1252"], default="utf-8")


class ImportLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    member = serializers.UUIDField(source="member.public_id", allow_null=True)
    amount_cents = serializers.IntegerField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True)
    periods = serializers.ListField(child=serializers.DateField())
    raw = serializers.DictField(child=serializers.CharField())


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.SlugField(source="unit.slug")
    filename = serializers.CharField()
    state = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    job_state = serializers.CharField(
        help_text="A large file's background job: queued, running, done, failed"
    )
    job_kind = serializers.CharField(help_text="preview or confirm")
    job_progress = serializers.SerializerMethodField(
        help_text="Lines the background job has handled so far, of job_total"
    )
    job_total = serializers.IntegerField()
    job_error = serializers.CharField()
    lines = serializers.SerializerMethodField()

    def get_job_progress(self, batch) -> int:
        return import_job_done(batch)

    def get_lines(self, batch) -> list[dict]:
        lines = batch.lines.select_related("member").order_by("line_number")[:1000]
        return ImportLineSerializer(lines, many=True).data


class FiguresSerializer(serializers.Serializer):
    expected_cents = serializers.IntegerField()
    collected_cents = serializers.IntegerField()
    outstanding_cents = serializers.IntegerField(
        help_text="The sum of each member's shortfall on the period"
    )
    ahead_cents = serializers.IntegerField(
        help_text="What members paid beyond what was called (apart from outstanding)"
    )
    rate = serializers.FloatField(allow_null=True, help_text="Collected / expected, %")
    members = serializers.IntegerField()
    up_to_date = serializers.IntegerField()


class ChildSerializer(FiguresSerializer):
    unit = serializers.SlugField(source="unit.slug", allow_null=True)
    label = serializers.CharField()


class MonthSerializer(serializers.Serializer):
    period = serializers.CharField(source="key")
    expected_cents = serializers.IntegerField()
    collected_cents = serializers.IntegerField()


class ShareRowSerializer(serializers.Serializer):
    level = serializers.CharField()
    share_bp = serializers.IntegerField()
    amount_cents = serializers.IntegerField()


class ReportMemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    unit = serializers.CharField()
    expected_cents = serializers.IntegerField()
    collected_cents = serializers.IntegerField()
    outstanding_cents = serializers.IntegerField()
    ahead_cents = serializers.IntegerField()
    standing = serializers.CharField(source="standing.state")


class ReportSerializer(serializers.Serializer):
    unit = serializers.SlugField(source="unit.slug")
    period = serializers.CharField(source="period_key")
    totals = FiguresSerializer()
    children = ChildSerializer(many=True)
    months = MonthSerializer(many=True)
    shares = ShareRowSerializer(many=True)
    members = ReportMemberSerializer(many=True, allow_null=True)


class MemberStandingSerializer(serializers.Serializer):
    member = serializers.UUIDField(source="user.public_id")
    name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
    cell = serializers.SlugField(source="membership.unit.slug")
    standing = StandingSerializer()


class PostalAddressSerializer(serializers.Serializer):
    address = serializers.CharField(
        max_length=300, help_text="Street, then postcode and town, one per line."
    )


class ChargeCorrectSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=7, help_text="2026-03, 2026-Q1 or 2026")
    reason = serializers.CharField(max_length=300)


class ExemptionEndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ExemptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
