"""Reports up the tree (figures, breakdown, chart, CSV) and the year's receipts in
bulk."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from organising.csvexport import csv_response

from .. import reports, services
from .common import attachment, error_text, record_bulk_access, unit_for


def _report(request, slug: str):
    """The unit, its report for the period asked (the current one by default) and
    the error that made the period asked unusable (then: the current period)."""
    found = unit_for(request, "dues.report", slug)
    # Amounts per member only for a cell: above, the breakdown is by unit.
    with_members = found.is_leaf() and access.can(
        request.user, "dues.member_amounts", found
    )
    asked = request.GET.get("period", "").strip()
    try:
        result = reports.unit_report(
            unit=found, period=asked or None, with_members=with_members
        )
        error = None
    except ValidationError as invalid:
        error = error_text(invalid)
        result = reports.unit_report(unit=found, with_members=with_members)
    return found, result, error


def _member_ids(result) -> list[int]:
    return [row.user_id for row in result.members or ()]


@login_required
def report(request, slug: str):
    found, result, error = _report(request, slug)
    record_bulk_access(request, found, kind="view", members=_member_ids(result))
    this_year = timezone.localdate().year
    context = {
        "unit": found,
        "report": result,
        "period_error": error,
        "asked": request.GET.get("period", ""),
        "ancestors": list(found.ancestors_qs()),
        "period_choices": reports.period_choices(result),
        "can_manage": access.can(request.user, "dues.manage", found),
        "receipt_years": range(this_year - 1, this_year - 6, -1),
    }
    return render(request, "dues/report.html", context, status=400 if error else 200)


@login_required
def report_csv(request, slug: str):
    found, result, error = _report(request, slug)
    if error:
        return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
    record_bulk_access(request, found, kind="export", members=_member_ids(result))
    return csv_response(
        reports.report_csv(result),
        by=request.user,
        what="dues.report",
        target=found,
        unit=found,
        filename=f"cotisations-{found.slug}-{result.period_key}.csv",
    )


@login_required
@require_POST
def receipts_bulk(request, slug: str):
    found = unit_for(request, "dues.manage", slug)
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        messages.error(request, _("Choose a year."))
        return redirect("dues:report", slug=slug)
    try:
        issued = services.receipts_issue_for_unit(
            unit=found, year=year, by=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("dues:report", slug=slug)
    # Each receipt carries the member's name, e-mail address and commune.
    record_bulk_access(
        request, found, kind="export", members=[r.member_id for r in issued]
    )
    if not issued:
        messages.info(
            request, _("No dues were paid in %(year)s here.") % {"year": year}
        )
        return redirect("dues:report", slug=slug)
    return attachment(
        services.receipts_zip(issued),
        content_type="application/zip",
        filename=f"recus-{found.slug}-{year}.zip",
    )
