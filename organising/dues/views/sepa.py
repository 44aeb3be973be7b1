"""Direct debit for treasurers: prepare a period's SEPA batch, download its
pain.008 file, record the debits the bank returned."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organising.web import show_errors

from .. import selectors, services
from ..forms import DebitBatchForm, DebitReturnForm
from ..models import Debit, DebitBatch
from ..rates import load_schedules
from .common import (
    attachment,
    error_text,
    kept_or_404,
    record_bulk_access,
    unit_for,
)


@login_required
def sepa(request, slug: str):
    found = unit_for(request, "dues.manage", slug)
    form = DebitBatchForm(
        request.POST or None,
        schedules=load_schedules(),
        initial={
            "collection_date": timezone.localdate()
            + timedelta(days=settings.DUES_SEPA_PRENOTIFICATION_DAYS + 1)
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.debit_batch_create(
                unit=found, by=request.user, **form.cleaned_data
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
    context = {
        "unit": found,
        "form": form,
        "batches": DebitBatch.objects.filter(unit=found).order_by("-created_at")[:20],
        "mandates": selectors.active_mandates(unit=found).count(),
    }
    return render(request, "dues/sepa.html", context)


@login_required
def sepa_batch(request, pk: int):
    batch = kept_or_404(request, DebitBatch, pk=pk)
    debits = list(batch.debits.select_related("member", "mandate").order_by("pk"))
    record_bulk_access(
        request, batch.unit, kind="view", members=[d.member_id for d in debits]
    )
    context = {
        "batch": batch,
        "debits": debits,
        "return_form": DebitReturnForm(),
    }
    return render(request, "dues/sepa_batch.html", context)


@login_required
def sepa_xml(request, pk: int):
    batch = kept_or_404(request, DebitBatch, pk=pk)
    # The file holds every debited member's name and full IBAN.
    record_bulk_access(
        request,
        batch.unit,
        kind="export",
        members=batch.debits.values_list("member_id", flat=True),
    )
    return attachment(
        batch.xml, content_type="application/xml", filename=f"{batch.message_id}.xml"
    )


@login_required
@require_POST
def debit_return(request, pk: int):
    debit = kept_or_404(request, Debit, via="batch__unit", pk=pk)
    form = DebitReturnForm(request.POST)
    if form.is_valid():
        try:
            services.debit_return(debit=debit, by=request.user, reason=form.reason)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request, _("Return recorded: the member owes the period again.")
            )
    return redirect("dues:sepa_batch", pk=debit.batch_id)
