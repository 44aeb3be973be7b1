"""Reports up the tree (figures, breakdown, chart, CSV) and the year's receipts in
bulk."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from organising.csvexport import csv_response

from .. import reports, services
from ..forms import ReportPeriodForm
from .common import attachment, error_text, record_bulk_access, unit_for


def _report(request, slug: str):
    """The unit and its report for the period asked (the current one by default);
    404 for a period that is not one."""
    found = unit_for(request, "dues.report", slug)
    form = ReportPeriodForm(request.GET or None)
    period = form.cleaned_data["period"] if form.is_valid() else None
    # Amounts per member only for a cell: above, the breakdown is by unit.
    with_members = found.is_leaf() and access.can(
        request.user, "dues.member_amounts", found
    )
    try:
        result = reports.unit_report(
            unit=found, period=period, with_members=with_members
        )
    except ValidationError as error:
        raise Http404 from error
    return found, result


def _member_ids(result) -> list[int]:
    return [row.user_id for row in result.members or ()]


@login_required
def report(request, slug: str):
    found, result = _report(request, slug)
    record_bulk_access(request, found, kind="view", members=_member_ids(result))
    this_year = timezone.localdate().year
    context = {
        "unit": found,
        "report": result,
        "ancestors": list(found.ancestors_qs()),
        "period_choices": [month.key for month in reversed(result.months)],
        "can_manage": access.can(request.user, "dues.manage", found),
        "receipt_years": range(this_year - 1, this_year - 6, -1),
    }
    return render(request, "dues/report.html", context)


@login_required
def report_csv(request, slug: str):
    found, result = _report(request, slug)
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
