"""The treasurer's everyday screens: the members of a unit with their standing, one
member's dues (recording, correcting, exempting), and the payments members
declared."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from members.models import Membership
from organising.web import show_errors

from .. import periods as P
from .. import selectors, services
from ..forms import (
    ChargeCorrectForm,
    ExemptionEndForm,
    ExemptionForm,
    PaymentForm,
    RejectForm,
    ReverseForm,
)
from ..models import DeclaredPayment, Exemption, LedgerEntry
from ..rates import load_schedules
from .common import (
    error_text,
    kept_or_404,
    membership_or_404,
    receipt_response,
    record_bulk_access,
    unit_for,
)


@login_required
def units(request):
    """Where the user keeps or reads dues; straight to it when there is one."""
    found = selectors.units_kept(request.user)
    if not found:
        raise Http404  # a page of the offices that read dues: unseen without one
    if len(found) == 1:
        return redirect("dues:unit", slug=found[0].slug)
    return render(request, "dues/units.html", {"units": found})


@login_required
def unit(request, slug: str):
    """The unit's adherents with their standing; htmx refreshes the rows."""
    found = unit_for(request, "dues.member_amounts", slug)
    query = request.GET.get("q", "").strip()[:100]
    late_only = request.GET.get("late") == "1"
    page = selectors.unit_member_standings(
        unit=found, query=query, late_only=late_only, after=request.GET.get("after")
    )
    record_bulk_access(
        request, found, kind="view", members=[row.user.pk for row in page.rows]
    )
    can_manage = access.can(request.user, "dues.manage", found)
    context = {
        "unit": found,
        "page": page,
        "q": query,
        "late_only": late_only,
        "can_manage": can_manage,
        "pending": selectors.pending_declared(unit=found).count() if can_manage else 0,
    }
    template = "dues/unit.html#rows" if request.htmx else "dues/unit.html"
    return render(request, template, context)


def _member_context(
    request,
    membership: Membership,
    *,
    form=None,
    exemption_form=None,
    correct_form=None,
) -> dict:
    """One member's dues as their treasurers see them; the forms only for those
    who keep the dues (a bound form when it comes back with errors)."""
    member = membership.user
    can_manage = access.can(request.user, "dues.manage", membership.unit)
    if can_manage:
        form = form or PaymentForm(schedules=load_schedules())
        exemption_form = exemption_form or ExemptionForm(
            initial={"starts_on": timezone.localdate()}
        )
    can_correct = access.can(request.user, "dues.correct", membership.unit)
    return {
        "can_correct": can_correct,
        "correct_form": correct_form or (ChargeCorrectForm() if can_correct else None),
        "exemption_end_form": ExemptionEndForm() if can_correct else None,
        "membership": membership,
        "member": member,
        "dues": selectors.my_dues(member),
        "entries": selectors.member_entries(member=member),
        "can_manage": can_manage,
        "sees_bracket": access.can(request.user, "dues.bracket_view", membership.unit),
        "sees_iban": access.can(request.user, "dues.mandate_view", membership.unit),
        "form": form,
        "exemption_form": exemption_form,
        "reverse_form": ReverseForm() if can_manage else None,
        "exemptions": list(member.dues_exemptions.all()[:5]),
        "reference": services.member_reference(member),
    }


@login_required
def member(request, public_id):
    membership = membership_or_404(request, "dues.member_amounts", public_id)
    return render(request, "dues/member.html", _member_context(request, membership))


@login_required
@require_POST
def record(request, public_id):
    """Record a payment for the member; answers with the refreshed member panel."""
    membership = membership_or_404(request, "dues.member_amounts", public_id)
    form = PaymentForm(request.POST, schedules=load_schedules())
    if form.is_valid():
        try:
            recorded = services.payment_record(
                member=membership.user, by=request.user, **form.payment_fields()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            if recorded.created:
                messages.success(request, _("Payment recorded."))
            else:
                messages.info(request, _("This payment was already recorded."))
            if not request.htmx:
                return redirect("dues:member", public_id=public_id)
            form = None  # a fresh form, with a new idempotency key
    context = _member_context(request, membership, form=form)
    status = 400 if form is not None and form.errors else 200
    template = "dues/member.html#panel" if request.htmx else "dues/member.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def reverse_entry(request, pk: int):
    entry = kept_or_404(request, LedgerEntry.objects.select_related("member"), pk=pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payment is corrected."))
        return redirect("dues:member", public_id=entry.member.public_id)
    try:
        services.entry_reverse(
            entry=entry,
            by=request.user,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The payment is corrected by a reversing entry."))
    return redirect("dues:member", public_id=entry.member.public_id)


@login_required
@require_POST
def exempt(request, public_id):
    membership = membership_or_404(request, "dues.manage", public_id)
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            services.exemption_grant(
                member=membership.user, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The member is exempt from dues."))
            return redirect("dues:member", public_id=public_id)
    context = _member_context(request, membership, exemption_form=form)
    return render(request, "dues/member.html", context, status=400)


@login_required
@require_POST
def charge_correct(request, public_id):
    membership = membership_or_404(request, "dues.correct", public_id)
    form = ChargeCorrectForm(request.POST)
    if form.is_valid():
        try:
            start, _kind = P.parse_period_key(form.cleaned_data["period"])
            services.charge_correct(
                member=membership.user,
                period=start,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The charge is corrected."))
            return redirect("dues:member", public_id=public_id)
    context = _member_context(request, membership, correct_form=form)
    return render(request, "dues/member.html", context, status=400)


@login_required
@require_POST
def exemption_end(request, pk: int):
    exemption = Exemption.objects.filter(pk=pk).select_related("member").first()
    if exemption is None:
        raise Http404
    membership = membership_or_404(request, "dues.correct", exemption.member.public_id)
    form = ExemptionEndForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": _("Say why the exemption ends.")})
        services.exemption_end(
            exemption=exemption, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The exemption ends: dues are called again."))
    return redirect("dues:member", public_id=membership.user.public_id)


@login_required
def member_receipt(request, public_id, year: int):
    membership = membership_or_404(request, "dues.manage", public_id)
    try:
        receipt = services.receipt_issue(
            member=membership.user, year=year, by=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("dues:member", public_id=public_id)
    return receipt_response(receipt)


# --- Payments members declared -------------------------------------------------


@login_required
def declared(request, slug: str):
    found = unit_for(request, "dues.manage", slug)
    pending = list(selectors.pending_declared(unit=found)[:100])
    record_bulk_access(
        request, found, kind="view", members=[d.member_id for d in pending]
    )
    context = {"unit": found, "pending": pending, "reject_form": RejectForm()}
    return render(request, "dues/declared.html", context)


def _declared_for(request, pk: int) -> DeclaredPayment:
    return kept_or_404(request, DeclaredPayment.objects.select_related("member"), pk=pk)


@login_required
@require_POST
def declared_confirm(request, pk: int):
    found = _declared_for(request, pk)
    try:
        services.declared_payment_confirm(declared=found, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Payment confirmed and recorded."))
    if request.htmx:
        return HttpResponse("")
    return redirect("dues:declared", slug=found.unit.slug)


@login_required
@require_POST
def declared_reject(request, pk: int):
    found = _declared_for(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("dues:declared", slug=found.unit.slug)
    try:
        services.declared_payment_reject(
            declared=found, by=request.user, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The declared payment is turned down."))
    return redirect("dues:declared", slug=found.unit.slug)
