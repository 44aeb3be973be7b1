"""SEPA direct debit: members' mandates, the pain.008 batch of a period's collections,
and returns (rejected debits) recorded against the members."""

from __future__ import annotations

import re
import unicodedata
import warnings
from contextlib import contextmanager
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from federation import access
from federation.models import Unit
from members.models import Membership
from organising.audit.services import audit_record

from .. import periods as P
from ..models import (
    DUE_KINDS,
    PAID_KINDS,
    Debit,
    DebitBatch,
    Kind,
    LedgerEntry,
    LedgerLine,
    Mandate,
    Method,
    Source,
)
from ..rates import load_schedules, schedule_on
from .base import adherent_membership, check_key, fingerprint, setting
from .ledger import PaymentPlan, _reversing_entry, _write_plan, balances_refresh

SEPA_CHARS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def sepa_text(text: str, length: int) -> str:
    """Text reduced to the SEPA character set (accents dropped), cut to `length`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return SEPA_CHARS.sub(" ", ascii_text).strip()[:length] or "-"


def check_iban(raw: str) -> IBAN:
    try:
        iban = IBAN(raw or "")
    except (SchwiftyException, ValueError):
        raise ValidationError(
            {"iban": _("This IBAN is not valid: check it against your bank details.")}
        ) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            {"iban": _("Direct debit needs an account in the SEPA zone.")}
        )
    return iban


def check_bic(raw: str, iban: IBAN) -> str:
    raw = (raw or "").replace(" ", "").upper()
    if not raw:
        try:
            derived = iban.bic
        except (SchwiftyException, ValueError):
            derived = None
        return str(derived) if derived else ""
    try:
        return str(BIC(raw))
    except (SchwiftyException, ValueError):
        raise ValidationError({"bic": _("This BIC is not valid.")}) from None


@transaction.atomic
def mandate_create(
    *, member, holder_name: str, iban: str, bic: str = "", by=None
) -> Mandate:
    """The member authorises the party to collect their dues by direct debit. A new
    mandate replaces the active one."""
    by = by or member
    if by.pk != member.pk:
        raise PermissionDenied(_("Only the account holder gives a mandate."))
    adherent_membership(member)
    holder_name = (holder_name or "").strip()
    if not holder_name:
        raise ValidationError({"holder_name": _("Give the account holder's name.")})
    checked = check_iban(iban)
    bic_value = check_bic(bic, checked)
    previous = list(
        Mandate.objects.select_for_update().filter(
            member=member, state=Mandate.State.ACTIVE
        )
    )
    now = timezone.now()
    for old in previous:
        old.state = Mandate.State.REVOKED
        old.revoked_at = now
        old.save(update_fields=["state", "revoked_at"])
    number = Mandate.objects.filter(member=member).count() + 1
    mandate = Mandate.objects.create(
        member=member,
        reference=f"MLG{member.pk:09d}M{number:03d}",
        holder_name=holder_name[:70],
        iban=checked.compact,
        bic=bic_value,
        signed_on=timezone.localdate(),
    )
    audit_record(
        actor=by,
        action="dues.mandate_create",
        target=mandate,
        data={"iban": mandate.masked_iban, "replaces": [m.pk for m in previous]},
    )
    return mandate


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, by) -> Mandate:
    """The member (or a treasurer above them) ends a mandate."""
    if by.pk != mandate.member_id:
        membership = (
            Membership.objects.current()
            .filter(user_id=mandate.member_id)
            .select_related("unit")
            .first()
        )
        if membership is None or not access.can(by, "dues.manage", membership.unit):
            raise PermissionDenied(_("You may not revoke this mandate."))
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.state == Mandate.State.REVOKED:
        return mandate
    mandate.state = Mandate.State.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.save(update_fields=["state", "revoked_at"])
    audit_record(actor=by, action="dues.mandate_revoke", target=mandate)
    return mandate


@contextmanager
def _quiet_sepaxml():
    """sepaxml tests XML elements' truth value, which Python deprecates: its issue,
    not ours (the file is validated against the schema anyway)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Testing an element's truth value", DeprecationWarning
        )
        yield


def _creditor() -> dict:
    config = {
        "name": setting("DUES_SEPA_CREDITOR_NAME", ""),
        "IBAN": setting("DUES_SEPA_CREDITOR_IBAN", ""),
        "BIC": setting("DUES_SEPA_CREDITOR_BIC", ""),
        "creditor_id": setting("DUES_SEPA_CREDITOR_ID", ""),
    }
    missing = [name for name in ("name", "IBAN", "creditor_id") if not config[name]]
    if missing:
        raise ValidationError(
            _(
                "Direct debit is not set up on this server: the administrator sets "
                "DUES_SEPA_CREDITOR_NAME, DUES_SEPA_CREDITOR_IBAN and "
                "DUES_SEPA_CREDITOR_ID."
            )
        )
    config = {key: value for key, value in config.items() if value}
    config["name"] = sepa_text(config["name"], 70)
    config["batch"] = True
    config["currency"] = "EUR"
    return config


@transaction.atomic
def debit_batch_create(
    *, unit: Unit, period: date, collection_date: date, by
) -> DebitBatch:
    """Collect the period's outstanding dues of every member of `unit` (and below)
    with an active mandate, in one pain.008 file validated against its schema. Each
    collection is recorded as a direct debit payment; a member is never debited
    twice for a period (unless the first debit was returned)."""
    from sepaxml import SepaDD

    access.require(by, "dues.manage", unit)
    config = _creditor()
    schedules = load_schedules()
    loaded = schedule_on(schedules, period)
    if loaded is None or not P.is_period_start(period, loaded.period):
        raise ValidationError({"period": _("Choose a period of the schedule.")})
    today = timezone.localdate()
    if collection_date < today + timedelta(days=1):
        raise ValidationError(
            {"collection_date": _("The collection date must be after today.")}
        )
    mandates = (
        Mandate.objects.filter(state=Mandate.State.ACTIVE)
        .filter(
            Exists(
                Membership.objects.current().filter(
                    user_id=OuterRef("member_id"),
                    status=Membership.Status.ADHERENT,
                    unit__path__startswith=unit.path,
                )
            )
        )
        .exclude(
            Exists(
                Debit.objects.filter(
                    member_id=OuterRef("member_id"),
                    period=period,
                    state=Debit.State.SUBMITTED,
                )
            )
        )
        .select_related("member")
        .order_by("member_id")
    )
    mandates = list(mandates)
    member_ids = [m.member_id for m in mandates]
    owed = {
        row["member_id"]: row["due"] - row["paid"]
        for row in LedgerLine.objects.filter(member_id__in=member_ids, period=period)
        .values("member_id")
        .annotate(
            due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
            paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
        )
    }
    homes = dict(
        Membership.objects.current()
        .filter(user_id__in=member_ids)
        .values_list("user_id", "unit_id")
    )
    collected = [
        (m, owed.get(m.member_id, 0)) for m in mandates if owed.get(m.member_id, 0) > 0
    ]
    if not collected:
        raise ValidationError(
            _("Nobody has dues to collect by direct debit for this period.")
        )

    schema = setting("DUES_SEPA_SCHEMA", "pain.008.001.08")
    sepa = SepaDD(dict(config), schema=schema, clean=False)
    batch = DebitBatch.objects.create(
        unit=unit,
        period=period,
        collection_date=collection_date,
        message_id=sepa.msg_id[:35],
        xml="",
        created_by=by,
    )
    key = P.period_key(period, loaded.period)
    first_debits = set(
        Debit.objects.filter(mandate__in=[m for m, _ in collected])
        .exclude(state=Debit.State.RETURNED)
        .values_list("mandate_id", flat=True)
    )
    debits, total = [], 0
    for index, (mandate, amount) in enumerate(collected, start=1):
        end_to_end = f"D{batch.pk}-{index}"[:35]
        recorded = _write_plan(
            PaymentPlan(
                member_id=mandate.member_id,
                unit_id=homes[mandate.member_id],
                amount_cents=amount,
                paid_on=collection_date,
                method=Method.DIRECT_DEBIT,
                key=f"sepa:{mandate.member_id}:{period.isoformat()}:{batch.pk}",
                fingerprint=fingerprint(debit=end_to_end, mandate=mandate.pk),
                allocation=[(period, amount)],
                reference=end_to_end,
                note=mandate.reference,
                source=Source.DIRECT_DEBIT,
            ),
            by,
        )
        sequence = "RCUR" if mandate.pk in first_debits else "FRST"
        payment = {
            "name": sepa_text(mandate.holder_name, 70),
            "IBAN": mandate.iban,
            "amount": amount,
            "type": sequence,
            "collection_date": collection_date,
            "mandate_id": mandate.reference,
            "mandate_date": mandate.signed_on,
            "description": sepa_text(_("Dues %(period)s") % {"period": key}, 140),
            "endtoend_id": end_to_end,
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        with _quiet_sepaxml():
            sepa.add_payment(payment)
        debits.append(
            Debit(
                batch=batch,
                mandate=mandate,
                member_id=mandate.member_id,
                period=period,
                amount_cents=amount,
                sequence_type=sequence,
                end_to_end_id=end_to_end,
                entry=recorded.entry,
            )
        )
        total += amount
    Debit.objects.bulk_create(debits)
    balances_refresh(member_ids)
    with _quiet_sepaxml():
        xml = sepa.export(validate=True, pretty_print=True)
    batch.xml = xml.decode()
    batch.total_cents = total
    batch.count = len(debits)
    batch.save(update_fields=["xml", "total_cents", "count"])
    audit_record(
        actor=by,
        action="dues.debit_batch_create",
        target=batch,
        unit=unit,
        data={"period": period.isoformat(), "count": len(debits), "total_cents": total},
    )
    return batch


@transaction.atomic
def debit_return(*, debit: Debit, by, reason: str) -> Debit:
    """Record that the bank returned a debit: the payment is reversed (a return entry)
    and the member owes the period again. Recording it twice changes nothing."""
    access.require(by, "dues.manage", debit.batch.unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the return reason from the bank.")})
    debit = Debit.objects.select_for_update().select_related("entry").get(pk=debit.pk)
    if debit.state == Debit.State.RETURNED:
        return debit
    key = check_key(f"return:{debit.pk}")
    if (
        LedgerEntry.objects.filter(reverses=debit.entry)
        .exclude(idempotency_key=key)
        .exists()
    ):
        raise ValidationError(_("This payment was already corrected."))
    recorded = _reversing_entry(
        entry=debit.entry,
        kind=Kind.RETURN,
        key=key,
        note=reason,
        by=by,
        source=Source.DIRECT_DEBIT,
    )
    debit.state = Debit.State.RETURNED
    debit.return_entry = recorded.entry
    debit.return_reason = reason[:140]
    debit.save(update_fields=["state", "return_entry", "return_reason"])
    audit_record(
        actor=by,
        action="dues.debit_return",
        target=debit,
        unit=debit.batch.unit,
        data={
            "member": debit.member_id,
            "amount_cents": debit.amount_cents,
            "reason": reason,
        },
    )
    return debit
