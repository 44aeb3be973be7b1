"""Dues: the party's schedule of rates, what each member declared, the append-only
ledger of what was called and paid, direct debits, reminders, receipts and imports.

Money is integer cents everywhere; rates are basis points (1 % = 100 bp). Every write
goes through `organising.dues.services`; nothing here has side effects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation.models import Level, Unit

from . import periods

FULL_SHARE_BP = 10_000


# --- The schedule ----------------------------------------------------------------


class Schedule(models.Model):
    """The party's rates from `valid_from` to `valid_until` (inclusive; open-ended
    while it is the latest). A new schedule closes the previous one; none is ever
    deleted, so past dues can always be explained."""

    class Period(models.TextChoices):
        MONTHLY = periods.MONTHLY, _("monthly")
        QUARTERLY = periods.QUARTERLY, _("quarterly")
        YEARLY = periods.YEARLY, _("yearly")

    name = models.CharField(_("name"), max_length=120)
    period = models.CharField(_("dues period"), max_length=10, choices=Period)
    valid_from = models.DateField(_("in force from"), unique=True)
    valid_until = models.DateField(_("in force until"), null=True, blank=True)
    minimum_monthly_cents = models.PositiveIntegerField(_("minimum per month (cents)"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("dues schedule")
        verbose_name_plural = _("dues schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="dues_schedule_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day) -> bool:
        return self.valid_from <= day and (
            self.valid_until is None or day <= self.valid_until
        )


class Bracket(models.Model):
    """Declared net monthly income from `lower_cents` up to the next bracket's lower
    bound. A member of the bracket owes `rate_bp` of the lower bound each month (so
    that a bracket, not an exact income, is all a member has to declare), never less
    than the schedule's minimum."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, related_name="brackets"
    )
    lower_cents = models.PositiveBigIntegerField(_("net monthly income from (cents)"))
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"))

    class Meta:
        ordering = ["schedule", "lower_cents"]
        verbose_name = _("income bracket")
        verbose_name_plural = _("income brackets")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "lower_cents"], name="dues_bracket_lower_once"
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=FULL_SHARE_BP),
                name="dues_bracket_rate_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"≥ {self.lower_cents / 100:.0f} € · {self.rate_bp / 100:g} %"


class ReducedRate(models.Model):
    """A flat monthly amount for students, the unemployed or retirees; with an income
    ceiling, it applies only to brackets that lie entirely below it."""

    class Category(models.TextChoices):
        STUDENT = "student", _("student")
        UNEMPLOYED = "unemployed", _("unemployed")
        RETIRED = "retired", _("retired")

    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, related_name="reduced_rates"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category)
    monthly_cents = models.PositiveIntegerField(_("amount per month (cents)"))
    income_ceiling_cents = models.PositiveBigIntegerField(
        _("only below a net monthly income of (cents)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("reduced rate")
        verbose_name_plural = _("reduced rates")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "category"], name="dues_reduced_rate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.monthly_cents / 100:.2f} €"


class Share(models.Model):
    """The part of every payment that goes to a level of the tree (cell, section,
    federation, national). The shares of a schedule add up to 100 %."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, related_name="shares"
    )
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    share_bp = models.PositiveIntegerField(_("share (basis points)"))

    class Meta:
        ordering = ["schedule", "level__depth"]
        verbose_name = _("apportionment share")
        verbose_name_plural = _("apportionment shares")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "level"], name="dues_share_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level}: {self.share_bp / 100:g} %"


# --- What the member declares --------------------------------------------------------


class Declaration(models.Model):
    """A member's declared income bracket (and reduced-rate category). The latest one
    applies to the dues called after it; earlier ones are kept as history. Seen only
    by the member and the treasurers above them."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dues_declarations",
    )
    bracket = models.ForeignKey(Bracket, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(
        _("reduced rate"), max_length=12, choices=ReducedRate.Category, blank=True
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-declared_at", "-pk"]
        verbose_name = _("income declaration")
        verbose_name_plural = _("income declarations")
        indexes = [models.Index(fields=["member", "-declared_at"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.bracket}"


class ExemptionQuerySet(models.QuerySet):
    def in_force(self, on) -> ExemptionQuerySet:
        """The exemptions that cover the day `on`."""
        return self.filter(starts_on__lte=on).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on)
        )


class Exemption(models.Model):
    """No dues are called from `starts_on` to `ends_on` (inclusive; open-ended when
    empty): hardship, honorary members. Decided by a treasurer."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dues_exemptions",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExemptionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="dues_exemption_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} exempt from {self.starts_on}"

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


# --- The ledger --------------------------------------------------------------------


class Kind(models.TextChoices):
    CHARGE = "charge", _("dues called")
    WAIVER = "waiver", _("dues waived")
    PAYMENT = "payment", _("payment")
    REVERSAL = "reversal", _("correction")
    RETURN = "return", _("returned debit")


# What a member owes (called, less waived) and what they paid (less corrections).
DUE_KINDS = (Kind.CHARGE, Kind.WAIVER)
PAID_KINDS = (Kind.PAYMENT, Kind.REVERSAL, Kind.RETURN)


class Method(models.TextChoices):
    CASH = "cash", _("cash")
    CHEQUE = "cheque", _("cheque")
    TRANSFER = "transfer", _("bank transfer")
    DIRECT_DEBIT = "direct_debit", _("direct debit")
    CARD = "card", _("card")


class Source(models.TextChoices):
    FORM = "form", _("recorded by a treasurer")
    API = "api", _("recorded through the API")
    IMPORT = "import", _("imported statement")
    DECLARED = "declared", _("declared by the member")
    DIRECT_DEBIT = "sepa", _("direct debit batch")
    SYSTEM = "system", _("automatic")


class LedgerEntry(models.Model):
    """One recording in the ledger: a payment, its correction, a returned debit, a
    run of dues calls. Never updated nor deleted (PostgreSQL refuses it with a
    trigger): a mistake is corrected by a reversing entry. `idempotency_key` is
    unique, so a double click, a retried request or a line imported twice records
    once; `fingerprint` tells a retry from a key reused for something else."""

    kind = models.CharField(max_length=10, choices=Kind)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dues_entries",
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    method = models.CharField(_("method"), max_length=12, choices=Method, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    cheque_number = models.CharField(_("cheque number"), max_length=40, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source)
    # "client:<actor id>:<the client's key>" or a key the server made ("waiver:…").
    idempotency_key = models.CharField(max_length=160, unique=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["payment", "charge"], amount_cents__gt=0)
                | Q(kind__in=["reversal", "return", "waiver"], amount_cents__lt=0),
                name="dues_entry_sign_follows_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["charge", "waiver"])
                | Q(member__isnull=False, paid_on__isnull=False),
                name="dues_entry_payment_has_member_and_date",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at"]),
            models.Index(fields=["unit", "-created_at"]),
            models.Index(fields=["paid_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents / 100:.2f} €"


class LedgerLineQuerySet(models.QuerySet):
    """Lines are only ever appended, through `bulk_create` (or `create`): the one
    place that writes them also adds them to the totals reports read, in the same
    transaction (`totals.totals_apply`), so that no writer can forget it."""

    def bulk_create(self, objs, *args, **kwargs):
        from .totals import totals_apply  # totals reads these models

        with transaction.atomic(using=self.db):
            lines = super().bulk_create(objs, *args, **kwargs)
            totals_apply(lines)
        return lines

    def create(self, **kwargs):
        return self.bulk_create([self.model(**kwargs)])[0]


class LedgerLine(models.Model):
    """The part of an entry that belongs to one member and one period. Reports add
    these up by period and by unit (the member's home cell when it was recorded).
    Append-only like the entries."""

    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="lines"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("period"))
    kind = models.CharField(max_length=10, choices=Kind)
    amount_cents = models.BigIntegerField(_("amount (cents)"))

    objects = LedgerLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_cents=0), name="dues_line_amount_not_zero"
            ),
            # Dues are called once per member and period, whoever runs the call.
            models.UniqueConstraint(
                fields=["member", "period"],
                condition=Q(kind="charge"),
                name="dues_one_call_per_member_period",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "period"]),
            # Reports: the lines of a subtree's units over a range of periods, read
            # from the index alone.
            models.Index(fields=["unit", "period", "kind", "amount_cents"]),
            models.Index(fields=["period"]),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.get_kind_display()} {self.amount_cents}"


class Balance(models.Model):
    """A member's running totals, kept in step with the ledger by the services so
    that standing can be read and counted without summing the ledger: what was
    called, what was paid, and the oldest called period not covered when payments
    are applied oldest first (empty when everything called is paid)."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="dues_balance",
    )
    due_cents = models.BigIntegerField(default=0)
    paid_cents = models.BigIntegerField(default=0)
    first_unpaid = models.DateField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dues balance")
        verbose_name_plural = _("dues balances")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.paid_cents - self.due_cents}"

    @property
    def balance_cents(self) -> int:
        return self.paid_cents - self.due_cents


class UnitPeriodTotal(models.Model):
    """The ledger lines of a unit and of every unit below it for one ledger period,
    added up, so that reports read a few rows instead of the ledger. Kept in step
    by `organising.dues.totals.totals_apply` in the transaction that writes the
    lines; `manage.py dues_totals` rebuilds them from the ledger and proves they
    match.

    `outstanding_cents` is the sum of each member's shortfall (what they owe on the
    period beyond what they paid on it), `ahead_cents` the sum of what members paid
    beyond what was called: one member paying ahead never hides another's debt, and
    collected - expected == ahead - outstanding."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    expected_cents = models.BigIntegerField(default=0)
    collected_cents = models.BigIntegerField(default=0)
    outstanding_cents = models.BigIntegerField(default=0)
    ahead_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("dues total")
        verbose_name_plural = _("dues totals")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period"], name="dues_one_total_per_unit_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period:%Y-%m}"


class UnitVersion(models.Model):
    """A counter of changes to who counts, in a unit's subtree, as an adherent or as
    up to date: bumped by database triggers (migration 0007) in the transaction of
    every change to a membership, a balance's first unpaid period or an exemption,
    for the unit and every unit above it. Reports key their cached member counts by
    it, so a cached count can only miss, never be stale."""

    unit = models.OneToOneField(
        Unit, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("unit version")
        verbose_name_plural = _("unit versions")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.version}"


# --- Payments declared by members ------------------------------------------


class DeclaredPayment(models.Model):
    """A payment a member says they made (a transfer, a cheque handed over), waiting
    for a treasurer to confirm it into the ledger or to turn it down."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for a treasurer")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("not confirmed")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dues_declared"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.PositiveBigIntegerField(_("amount (cents)"))
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=12, choices=Method)
    cheque_number = models.CharField(_("cheque number"), max_length=40, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    periods = models.JSONField(_("periods"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    idempotency_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("declared payment")
        verbose_name_plural = _("declared payments")
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return f"{self.member} {self.amount_cents / 100:.2f} € ({self.state})"


# --- Direct debit ------------------------------------------------------------------


class Mandate(models.Model):
    """A SEPA direct debit mandate. The IBAN is shown in full only to treasurers."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired (unused for 36 months)")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dues_mandates"
    )
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    holder_name = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signed_on = models.DateField(_("signed on"))
    state = models.CharField(max_length=10, choices=State, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("direct debit mandate")
        verbose_name_plural = _("direct debit mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state="active"),
                name="dues_one_active_mandate",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_iban(self) -> str:
        """The country, then stars, then the last four characters, by groups of four."""
        if len(self.iban) < 8:
            return "****"
        masked = self.iban[:2] + "*" * (len(self.iban) - 6) + self.iban[-4:]
        return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


class DebitBatch(models.Model):
    """One pain.008 file: the collections of a period for the members of a unit."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("period"))
    collection_date = models.DateField(_("collection date"))
    message_id = models.CharField(max_length=35, unique=True)
    total_cents = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    xml = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("direct debit batch")
        verbose_name_plural = _("direct debit batches")

    def __str__(self) -> str:
        return self.message_id


class Debit(models.Model):
    """One collection in a batch. Its payment enters the ledger on the collection
    date (`debits_collect`), not before; a return (rejected debit) records a
    reversing entry against the member."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")

    batch = models.ForeignKey(
        DebitBatch, on_delete=models.PROTECT, related_name="debits"
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="debits"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("period"))
    amount_cents = models.PositiveBigIntegerField()
    sequence_type = models.CharField(max_length=4)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    state = models.CharField(max_length=10, choices=State, default=State.SUBMITTED)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_reason = models.CharField(_("return reason"), max_length=140, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        constraints = [
            # Never debited twice for a period (unless the first debit was returned).
            models.UniqueConstraint(
                fields=["member", "period"],
                condition=Q(state="submitted"),
                name="dues_one_debit_per_member_period",
            )
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


# --- Reminders ---------------------------------------------------------------------


class Reminder(models.Model):
    """An e-mail sent to a late member. Unique per member and period: the reminder job
    can run any number of times, by any number of workers, and send it once."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dues_reminders",
    )
    period = models.DateField()
    level = models.PositiveSmallIntegerField()
    late_periods = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("dues reminder")
        verbose_name_plural = _("dues reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "period"], name="dues_one_reminder_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period} #{self.level}"


class TreasurerSummary(models.Model):
    """The monthly summary e-mailed to a treasurer, once per unit and month."""

    treasurer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("treasurer summary")
        verbose_name_plural = _("treasurer summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["treasurer", "unit", "month"], name="dues_one_summary_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.treasurer_id} {self.unit_id} {self.month}"


# --- Receipts ----------------------------------------------------------------------


class ReceiptCounter(models.Model):
    """The last receipt number given in a year. Locked while a number is taken, so
    numbers follow each other without gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    """The annual receipt of the dues a member paid in a calendar year, for the tax
    reduction. Its figures are frozen when it is issued; if the ledger changes
    afterwards, it is cancelled and a new one (with a new number) replaces it."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dues_receipts"
    )
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    amount_cents = models.PositiveBigIntegerField()
    member_name = models.CharField(max_length=120)
    member_email = models.EmailField()
    member_commune = models.CharField(max_length=120, blank=True)
    member_address = models.TextField(blank=True)
    issuer_name = models.CharField(max_length=200, blank=True)
    issuer_address = models.TextField(blank=True)
    # Each payment counted: [{"paid_on": "2025-03-02", "method": "transfer",
    # "amount_cents": 1500}], frozen with the amount.
    payments = models.JSONField(default=list, blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "number"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "number"], name="dues_receipt_number"
            ),
            models.UniqueConstraint(
                fields=["member", "year"],
                condition=Q(cancelled_at__isnull=True),
                name="dues_one_valid_receipt_per_year",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year}-{self.number:06d}"


class PostalAddress(models.Model):
    """The postal address a member gives for their tax receipts (a receipt names
    the donor's address). Only the member sets it; treasurers above them read it."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="dues_postal_address",
    )
    lines = models.TextField(_("postal address"), max_length=300)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("postal address")
        verbose_name_plural = _("postal addresses")

    def __str__(self) -> str:
        return self.lines.splitlines()[0] if self.lines else ""


# --- Imports -----------------------------------------------------------------------


class Import(models.Model):
    """A bank statement or spreadsheet uploaded by a treasurer. Its lines are matched
    and shown; nothing reaches the ledger until the treasurer confirms."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("recorded")
        CANCELLED = "cancelled", _("cancelled")

    class Job(models.TextChoices):
        """A large file's preview or confirmation runs as a background job."""

        NONE = "", _("none")
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("in progress")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State, default=State.PREVIEW)
    counts = models.JSONField(default=dict)
    encoding = models.CharField(max_length=10, default="utf-8")
    # The uploaded file, kept only until its background preview has run.
    content = models.BinaryField(null=True, blank=True, editable=False)
    job_state = models.CharField(max_length=8, choices=Job, default="", blank=True)
    job_kind = models.CharField(max_length=8, blank=True)  # preview or confirm
    job_progress = models.PositiveIntegerField(default=0)
    job_total = models.PositiveIntegerField(default=0)
    job_error = models.CharField(max_length=300, blank=True)
    job_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def job_running(self) -> bool:
        return self.job_state in (self.Job.QUEUED, self.Job.RUNNING)


class ImportProgress(models.Model):
    """How many of an import's ready lines its background confirmation has handled.
    A row apart from the import's: the confirmation records every line or none in
    one transaction that locks the import row, so the job writes this row on a
    connection of its own (services.imports.JobProgress), which the page and the
    API read meanwhile."""

    batch = models.OneToOneField(
        Import, primary_key=True, on_delete=models.CASCADE, related_name="progress"
    )
    done = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("import progress")
        verbose_name_plural = _("import progresses")

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.done}"


class ImportLine(models.Model):
    class Status(models.TextChoices):
        MATCHED = "matched", _("ready")
        UNMATCHED = "unmatched", _("no member found")
        INVALID = "invalid", _("invalid")
        DUPLICATE = "duplicate", _("already recorded")
        RECORDED = "recorded", _("recorded")

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    raw = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status)
    message = models.CharField(max_length=300, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    amount_cents = models.BigIntegerField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=12, choices=Method, blank=True)
    reference = models.CharField(max_length=140, blank=True)
    periods = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=120, blank=True, db_index=True)

    class Meta:
        ordering = ["batch", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "line_number"], name="dues_import_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_number}"
