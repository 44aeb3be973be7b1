"""Payments a member declares, confirmed into the ledger by a treasurer."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organising.audit.services import audit_record

from ..models import DeclaredPayment, Source
from ..rates import load_schedules
from .base import (
    adherent_membership,
    check_payment,
    client_key,
    require_member_scope,
)
from .ledger import payment_record


@transaction.atomic
def declared_payment_create(
    *,
    member,
    amount_cents: int,
    paid_on: date,
    method: str,
    idempotency_key: str,
    periods: list | None = None,
    cheque_number: str = "",
    reference: str = "",
    note: str = "",
) -> tuple[DeclaredPayment, bool]:
    """A member says they paid; a treasurer will confirm it. Returns the declaration
    and whether this call created it (a repeated submission answers with the first)."""
    key = client_key(member, idempotency_key)
    existing = DeclaredPayment.objects.filter(
        idempotency_key=key, member=member
    ).first()
    if existing is not None:
        return existing, False
    membership = adherent_membership(member)
    fields = check_payment(
        amount_cents=amount_cents,
        paid_on=paid_on,
        method=method,
        schedules=load_schedules(),
        periods=periods,
        cheque_number=cheque_number,
        reference=reference,
        note=note,
    )
    try:
        with transaction.atomic():
            declared = DeclaredPayment.objects.create(
                member=member,
                unit=membership.unit,
                amount_cents=fields.amount_cents,
                paid_on=fields.paid_on,
                method=fields.method,
                cheque_number=fields.cheque_number,
                reference=fields.reference,
                periods=[start.isoformat() for start in fields.periods],
                note=fields.note,
                idempotency_key=key,
            )
    except IntegrityError:
        existing = DeclaredPayment.objects.filter(idempotency_key=key).first()
        if existing is None or existing.member_id != member.pk:
            raise ValidationError(
                {"idempotency_key": _("This request was already used.")}
            ) from None
        return existing, False
    audit_record(
        actor=member,
        action="dues.payment_declare",
        target=declared,
        unit=membership.unit,
        data={"amount_cents": amount_cents},
    )
    return declared, True


@transaction.atomic
def declared_payment_confirm(*, declared: DeclaredPayment, by) -> DeclaredPayment:
    """Record the declared payment in the ledger (once, even if confirmed twice)."""
    require_member_scope(by, "dues.manage", declared.member)
    declared = DeclaredPayment.objects.select_for_update().get(pk=declared.pk)
    if declared.state == DeclaredPayment.State.CONFIRMED:
        return declared
    if declared.state == DeclaredPayment.State.REJECTED:
        raise ValidationError(_("This declared payment was turned down."))
    recorded = payment_record(
        member=declared.member,
        amount_cents=declared.amount_cents,
        paid_on=declared.paid_on,
        method=declared.method,
        by=by,
        idempotency_key=f"declared:{declared.pk}",
        internal_key=True,
        periods=[date.fromisoformat(day) for day in declared.periods] or None,
        cheque_number=declared.cheque_number,
        reference=declared.reference,
        note=declared.note,
        source=Source.DECLARED,
    )
    declared.state = DeclaredPayment.State.CONFIRMED
    declared.decided_by = by
    declared.decided_at = timezone.now()
    declared.entry = recorded.entry
    declared.save(update_fields=["state", "decided_by", "decided_at", "entry"])
    audit_record(
        actor=by,
        action="dues.payment_declared_confirm",
        target=declared,
        unit=declared.unit,
    )
    return declared


@transaction.atomic
def declared_payment_reject(
    *, declared: DeclaredPayment, by, reason: str
) -> DeclaredPayment:
    """Turn a declared payment down (not received, wrong amount), saying why."""
    require_member_scope(by, "dues.manage", declared.member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is not confirmed.")})
    declared = DeclaredPayment.objects.select_for_update().get(pk=declared.pk)
    if declared.state != DeclaredPayment.State.PENDING:
        raise ValidationError(_("This declared payment was already decided."))
    declared.state = DeclaredPayment.State.REJECTED
    declared.decided_by = by
    declared.decided_at = timezone.now()
    declared.decision_note = reason[:300]
    declared.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=by,
        action="dues.payment_declared_reject",
        target=declared,
        unit=declared.unit,
        data={"reason": reason},
    )
    return declared
