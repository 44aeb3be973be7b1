"""Dues pages: the member's own dues, and the treasurer's screens (members and their
standing, recording and correcting payments, imports, direct debits, receipts,
reports). Views parse input, fetch through the policy module, call one service."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from federation.models import Level, Unit
from members.models import Membership
from organising.audit.services import audit_record

from . import reports, selectors, services
from .forms import (
    BracketForm,
    DebitBatchForm,
    DebitReturnForm,
    DeclaredPaymentForm,
    ExemptionForm,
    ImportForm,
    MandateForm,
    PaymentForm,
    RejectForm,
    ReportPeriodForm,
    ReverseForm,
    ScheduleForm,
)
from .models import (
    Debit,
    DebitBatch,
    DeclaredPayment,
    Import,
    ImportLine,
    LedgerEntry,
    Mandate,
    Receipt,
)
from .rates import load_schedules, schedule_on


def show_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _periods(form) -> list[str] | None:
    return form.cleaned_data.get("periods") or None


# --- The member's own dues -----------------------------------------------------


@login_required
def mine(request):
    dues = selectors.my_dues(request.user)
    bracket_form = None
    if dues.schedule is not None and dues.schedule.brackets:
        initial = {}
        if dues.declaration is not None:
            bracket = dues.schedule.bracket_for_income(
                dues.declaration.bracket.lower_cents
            )
            initial = {
                "bracket": bracket.lower_cents,
                "category": dues.declaration.category,
            }
        bracket_form = BracketForm(schedule=dues.schedule, initial=initial)
    return render(
        request,
        "dues/mine.html",
        {
            "dues": dues,
            "bracket_form": bracket_form,
            "reference": services.member_reference(request.user),
        },
    )


@login_required
@require_POST
def bracket(request):
    loaded = schedule_on(load_schedules(), timezone.localdate())
    if loaded is None:
        raise Http404
    form = BracketForm(request.POST, schedule=loaded)
    if form.is_valid():
        try:
            services.declaration_set(
                member=request.user,
                income_floor_cents=form.cleaned_data["bracket"],
                category=form.cleaned_data["category"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Your bracket is saved: it applies to the next dues.")
            )
    else:
        messages.error(request, _("Choose a bracket."))
    return redirect("dues:mine")


@login_required
def declare(request):
    schedules = load_schedules()
    form = DeclaredPaymentForm(request.POST or None, schedules=schedules)
    if request.method == "POST" and form.is_valid():
        try:
            services.declared_payment_create(
                member=request.user,
                amount_cents=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                method=form.cleaned_data["method"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                periods=_periods(form),
                cheque_number=form.cleaned_data["cheque_number"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("Thank you: your treasurer will confirm the payment.")
            )
            return redirect("dues:mine")
    return render(request, "dues/declare.html", {"form": form})


@login_required
def mandate(request):
    form = MandateForm(
        request.POST or None, initial={"holder_name": request.user.display_name}
    )
    current = Mandate.objects.filter(
        member=request.user, state=Mandate.State.ACTIVE
    ).first()
    if request.method == "POST" and form.is_valid():
        try:
            services.mandate_create(
                member=request.user,
                holder_name=form.cleaned_data["holder_name"],
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Your direct debit mandate is registered."))
            return redirect("dues:mine")
    return render(request, "dues/mandate.html", {"form": form, "current": current})


@login_required
@require_POST
def mandate_revoke(request, pk: int):
    found = get_object_or_404(Mandate, pk=pk, member=request.user)
    services.mandate_revoke(mandate=found, by=request.user)
    messages.success(
        request, _("Your mandate is revoked: no further debit will be made.")
    )
    return redirect("dues:mine")


@login_required
def my_receipt(request, year: int):
    try:
        receipt = services.receipt_issue(
            member=request.user, year=year, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dues:mine")
    return _pdf_response(receipt)


def _pdf_response(receipt: Receipt) -> HttpResponse:
    response = HttpResponse(
        services.receipt_pdf(receipt), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="recu-{receipt.label}.pdf"'
    return response


# --- Treasurers: where they keep dues ------------------------------------------


@login_required
def units(request):
    viewer = access.viewer_for(request.user)
    paths = viewer.office_paths(access.UNIT_ACTIONS["dues.report"])
    if viewer.is_superuser:
        found = list(Unit.objects.filter(depth=1))
    else:
        found = list(Unit.objects.filter(path__in=paths).select_related("level"))
    if not found:
        raise PermissionDenied
    if len(found) == 1:
        return redirect("dues:unit", slug=found[0].slug)
    return render(request, "dues/units.html", {"units": found})


def _unit_for(request, action: str, slug: str) -> Unit:
    return access.get_for_action_or_404(request.user, action, Unit, slug=slug)


@login_required
def unit(request, slug: str):
    """The unit's adherents with their standing; htmx refreshes the rows."""
    found = _unit_for(request, "dues.member_amounts", slug)
    query = request.GET.get("q", "").strip()[:100]
    late_only = request.GET.get("late") == "1"
    page = selectors.unit_member_standings(
        unit=found, query=query, late_only=late_only, after=request.GET.get("after")
    )
    context = {
        "unit": found,
        "page": page,
        "q": query,
        "late_only": late_only,
        "can_manage": access.can(request.user, "dues.manage", found),
        "pending": selectors.pending_declared(unit=found).count()
        if access.can(request.user, "dues.manage", found)
        else 0,
    }
    if request.htmx:
        return render(request, "dues/unit.html#rows", context)
    return render(request, "dues/unit.html", context)


def _membership_for(request, action: str, public_id) -> Membership:
    membership = (
        Membership.objects.current()
        .select_related("user", "unit")
        .filter(user__public_id=public_id)
        .first()
    )
    if membership is None or not access.can(request.user, action, membership.unit):
        raise Http404
    return membership


def _member_context(
    request, membership: Membership, form=None, exemption_form=None
) -> dict:
    member = membership.user
    schedules = load_schedules()
    can_manage = access.can(request.user, "dues.manage", membership.unit)
    dues = selectors.my_dues(member)
    return {
        "membership": membership,
        "member": member,
        "dues": dues,
        "entries": selectors.member_entries(member=member),
        "can_manage": can_manage,
        "sees_bracket": access.can(request.user, "dues.bracket_view", membership.unit),
        "sees_iban": access.can(request.user, "dues.mandate_view", membership.unit),
        "form": form or (PaymentForm(schedules=schedules) if can_manage else None),
        "exemption_form": exemption_form
        or (
            ExemptionForm(initial={"starts_on": timezone.localdate()})
            if can_manage
            else None
        ),
        "reverse_form": ReverseForm() if can_manage else None,
        "exemptions": list(member.dues_exemptions.all()[:5]),
        "reference": services.member_reference(member),
    }


@login_required
def member(request, public_id):
    membership = _membership_for(request, "dues.member_amounts", public_id)
    return render(request, "dues/member.html", _member_context(request, membership))


@login_required
@require_POST
def record(request, public_id):
    """Record a payment for the member; answers with the refreshed member panel."""
    membership = _membership_for(request, "dues.member_amounts", public_id)
    form = PaymentForm(request.POST, schedules=load_schedules())
    if form.is_valid():
        try:
            recorded = services.payment_record(
                member=membership.user,
                amount_cents=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                method=form.cleaned_data["method"],
                by=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                periods=_periods(form),
                cheque_number=form.cleaned_data["cheque_number"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
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
            form = None
    context = _member_context(request, membership, form=form)
    status = 400 if form is not None and form.errors else 200
    if request.htmx:
        return render(request, "dues/member.html#panel", context, status=status)
    return render(request, "dues/member.html", context, status=status)


@login_required
@require_POST
def reverse_entry(request, pk: int):
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("unit", "member"), pk=pk
    )
    if not access.can(request.user, "dues.manage", entry.unit):
        raise Http404
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.entry_reverse(
                entry=entry,
                by=request.user,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("The payment is corrected by a reversing entry.")
            )
    else:
        messages.error(request, _("Say why the payment is corrected."))
    return redirect("dues:member", public_id=entry.member.public_id)


@login_required
@require_POST
def exempt(request, public_id):
    membership = _membership_for(request, "dues.manage", public_id)
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


# --- Declared payments ---------------------------------------------------------


@login_required
def declared(request, slug: str):
    found = _unit_for(request, "dues.manage", slug)
    pending = list(selectors.pending_declared(unit=found)[:100])
    return render(
        request,
        "dues/declared.html",
        {"unit": found, "pending": pending, "reject_form": RejectForm()},
    )


def _declared_for(request, pk: int) -> DeclaredPayment:
    found = get_object_or_404(
        DeclaredPayment.objects.select_related("member", "unit"), pk=pk
    )
    if not access.can(request.user, "dues.manage", found.unit):
        raise Http404
    return found


@login_required
@require_POST
def declared_confirm(request, pk: int):
    found = _declared_for(request, pk)
    try:
        services.declared_payment_confirm(declared=found, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
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
    if form.is_valid():
        try:
            services.declared_payment_reject(
                declared=found, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The declared payment is turned down."))
    else:
        messages.error(request, _("Give a reason."))
    return redirect("dues:declared", slug=found.unit.slug)


# --- Imports -------------------------------------------------------------------


@login_required
def import_upload(request, slug: str):
    found = _unit_for(request, "dues.manage", slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.import_create(
                unit=found,
                by=request.user,
                filename=upload.name,
                content=upload.read(),
                encoding=form.cleaned_data["encoding"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            return redirect("dues:import_detail", pk=batch.pk)
    recent = Import.objects.filter(unit=found).order_by("-created_at")[:10]
    return render(
        request, "dues/import.html", {"unit": found, "form": form, "recent": recent}
    )


def _import_for(request, pk: int) -> Import:
    batch = get_object_or_404(Import.objects.select_related("unit"), pk=pk)
    if not access.can(request.user, "dues.manage", batch.unit):
        raise Http404
    return batch


@login_required
def import_detail(request, pk: int):
    batch = _import_for(request, pk)
    status = request.GET.get("status", "")
    lines = batch.lines.select_related("member").order_by("line_number")
    if status in ImportLine.Status.values:
        lines = lines.filter(status=status)
    return render(
        request,
        "dues/import_detail.html",
        {
            "batch": batch,
            "lines": list(lines[:300]),
            "status": status,
            "statuses": ImportLine.Status.choices,
        },
    )


@login_required
@require_POST
def import_confirm(request, pk: int):
    batch = _import_for(request, pk)
    try:
        batch = services.import_confirm(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(n)s payments recorded.") % {"n": batch.counts.get("recorded_now", 0)},
        )
    return redirect("dues:import_detail", pk=batch.pk)


@login_required
@require_POST
def import_cancel(request, pk: int):
    batch = _import_for(request, pk)
    services.import_cancel(batch=batch, by=request.user)
    messages.success(request, _("Import cancelled: nothing was recorded."))
    return redirect("dues:import", slug=batch.unit.slug)


# --- Direct debit --------------------------------------------------------------


@login_required
def sepa(request, slug: str):
    found = _unit_for(request, "dues.manage", slug)
    schedules = load_schedules()
    form = DebitBatchForm(
        request.POST or None,
        schedules=schedules,
        initial={"collection_date": timezone.localdate() + timedelta(days=5)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.debit_batch_create(
                unit=found,
                period=form.cleaned_data["period"],
                collection_date=form.cleaned_data["collection_date"],
                by=request.user,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                _("%(n)s debits prepared: download the file for your bank.")
                % {"n": batch.count},
            )
            return redirect("dues:sepa_batch", pk=batch.pk)
    batches = DebitBatch.objects.filter(unit=found).order_by("-created_at")[:20]
    mandates = Mandate.objects.filter(
        state=Mandate.State.ACTIVE,
        member__memberships__ended_on__isnull=True,
        member__memberships__unit__path__startswith=found.path,
    ).count()
    return render(
        request,
        "dues/sepa.html",
        {"unit": found, "form": form, "batches": batches, "mandates": mandates},
    )


def _batch_for(request, pk: int) -> DebitBatch:
    batch = get_object_or_404(DebitBatch.objects.select_related("unit"), pk=pk)
    if not access.can(request.user, "dues.manage", batch.unit):
        raise Http404
    return batch


@login_required
def sepa_batch(request, pk: int):
    batch = _batch_for(request, pk)
    debits = batch.debits.select_related("member", "mandate").order_by("pk")
    return render(
        request,
        "dues/sepa_batch.html",
        {"batch": batch, "debits": debits, "return_form": DebitReturnForm()},
    )


@login_required
def sepa_xml(request, pk: int):
    batch = _batch_for(request, pk)
    audit_record(
        actor=request.user,
        action="dues.debit_batch_download",
        target=batch,
        unit=batch.unit,
    )
    response = HttpResponse(batch.xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
    return response


@login_required
@require_POST
def debit_return(request, pk: int):
    debit = get_object_or_404(Debit.objects.select_related("batch__unit"), pk=pk)
    if not access.can(request.user, "dues.manage", debit.batch.unit):
        raise Http404
    form = DebitReturnForm(request.POST)
    if form.is_valid():
        services.debit_return(debit=debit, by=request.user, reason=form.reason)
        messages.success(
            request, _("Return recorded: the member owes the period again.")
        )
    return redirect("dues:sepa_batch", pk=debit.batch_id)


# --- Reports and receipts ------------------------------------------------------


def _report(request, slug: str):
    found = _unit_for(request, "dues.report", slug)
    form = ReportPeriodForm(request.GET or None)
    period = None
    if form.is_valid():
        period = form.cleaned_data["period"]
    sees_members = access.can(request.user, "dues.member_amounts", found)
    # Amounts per member on screen only for a cell: above, its breakdown is by unit.
    with_members = sees_members and found.is_leaf()
    return found, reports.unit_report(
        unit=found, period=period, with_members=with_members
    )


@login_required
def report(request, slug: str):
    try:
        found, result = _report(request, slug)
    except ValidationError as error:
        raise Http404 from error
    ancestors = list(found.ancestors_qs())
    return render(
        request,
        "dues/report.html",
        {
            "unit": found,
            "report": result,
            "ancestors": ancestors,
            "period_choices": [m.key for m in reversed(result.months)],
            "can_manage": access.can(request.user, "dues.manage", found),
            "receipt_years": range(
                timezone.localdate().year - 1, timezone.localdate().year - 6, -1
            ),
        },
    )


@login_required
def report_csv(request, slug: str):
    try:
        found, result = _report(request, slug)
    except ValidationError as error:
        raise Http404 from error
    if result.members is not None:
        # Personal data leaving in bulk: who exported it is recorded.
        audit_record(
            actor=request.user,
            action="dues.report_export",
            target=found,
            unit=found,
            data={"period": result.period_key, "members": len(result.members)},
        )
    response = HttpResponse(
        reports.report_csv(result), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="cotisations-{found.slug}-{result.period_key}.csv"'
    )
    return response


@login_required
@require_POST
def receipts_bulk(request, slug: str):
    found = _unit_for(request, "dues.manage", slug)
    try:
        year = int(request.POST.get("year", ""))
        issued = services.receipts_issue_for_unit(
            unit=found, year=year, by=request.user
        )
    except (ValueError, ValidationError) as error:
        messages.error(
            request, " ".join(getattr(error, "messages", [_("Choose a year.")]))
        )
        return redirect("dues:report", slug=slug)
    if not issued:
        messages.info(
            request, _("No dues were paid in %(year)s here.") % {"year": year}
        )
        return redirect("dues:report", slug=slug)
    response = HttpResponse(
        services.receipts_zip(issued), content_type="application/zip"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="recus-{found.slug}-{year}.zip"'
    )
    return response


@login_required
def member_receipt(request, public_id, year: int):
    membership = _membership_for(request, "dues.manage", public_id)
    try:
        receipt = services.receipt_issue(
            member=membership.user, year=year, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dues:member", public_id=public_id)
    return _pdf_response(receipt)


# --- Schedules -----------------------------------------------------------------


@login_required
def schedules(request):
    root = Unit.objects.get_first_root_node()
    can_set = root is not None and access.can(request.user, "dues.schedule", root)
    form = None
    levels = Level.objects.order_by("depth")
    if can_set:
        form = ScheduleForm(request.POST or None, levels=levels)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            reduced = [
                services.ReducedSpec(category, data[category], None)
                for category in ("student", "unemployed")
                if data.get(category) is not None
            ]
            if data.get("retired") is not None:
                reduced.append(
                    services.ReducedSpec(
                        "retired", data["retired"], data.get("retired_ceiling")
                    )
                )
            try:
                services.schedule_create(
                    by=request.user,
                    name=data["name"],
                    period=data["period"],
                    valid_from=data["valid_from"],
                    minimum_monthly_cents=data.get("minimum") or 0,
                    brackets=[
                        services.BracketSpec(low, rate)
                        for low, rate in data["brackets"]
                    ],
                    reduced=reduced,
                    shares=form.shares(),
                    note=data["note"],
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("The new schedule is published."))
                return redirect("dues:schedules")
    elif request.method == "POST":
        raise PermissionDenied
    listed = list(reversed(load_schedules()))
    in_force = schedule_on(listed, timezone.localdate())
    return render(
        request,
        "dues/schedules.html",
        {
            "schedules": listed,
            "form": form,
            "in_force_id": in_force.schedule.pk if in_force else None,
        },
    )
