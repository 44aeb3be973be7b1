"""Importing a bank statement or a spreadsheet: upload, preview, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organising.web import show_errors

from .. import selectors, services
from ..forms import ImportForm
from ..models import Import, ImportLine
from .common import error_text, kept_or_404, record_bulk_access, unit_for


@login_required
def import_upload(request, slug: str):
    found = unit_for(request, "dues.manage", slug)
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
    context = {"unit": found, "form": form, "recent": recent}
    return render(request, "dues/import.html", context)


def _import_for(request, pk: int) -> Import:
    return kept_or_404(request, Import, pk=pk)


@login_required
def import_detail(request, pk: int):
    batch = _import_for(request, pk)
    status = request.GET.get("status", "")
    lines = selectors.import_lines(batch=batch, status=status)
    record_bulk_access(
        request, batch.unit, kind="view", members=[x.member_id for x in lines]
    )
    context = {
        "batch": batch,
        "job_done": selectors.import_job_done(batch),
        "lines": lines,
        "status": status,
        "statuses": ImportLine.Status.choices,
    }
    return render(request, "dues/import_detail.html", context)


@login_required
@require_POST
def import_confirm(request, pk: int):
    batch = _import_for(request, pk)
    try:
        batch = services.import_confirm_start(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if batch.job_running:
            messages.info(request, _("The payments are being recorded."))
        else:
            recorded = batch.counts.get("recorded_now", 0)
            messages.success(request, _("%(n)s payments recorded.") % {"n": recorded})
    return redirect("dues:import_detail", pk=batch.pk)


@login_required
def import_job(request, pk: int):
    """The progress of the import's background job (polled by htmx); once it is
    over, the page reloads to show the result."""
    batch = _import_for(request, pk)
    if batch.job_running:
        context = {"batch": batch, "job_done": selectors.import_job_done(batch)}
        return render(request, "dues/_import_job.html", context)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_cancel(request, pk: int):
    batch = _import_for(request, pk)
    services.import_cancel(batch=batch, by=request.user)
    messages.success(request, _("Import cancelled: nothing was recorded."))
    return redirect("dues:import", slug=batch.unit.slug)
