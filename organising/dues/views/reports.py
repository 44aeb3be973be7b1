"""Reports up the tree (figures, breakdown, chart, CSV) and the year's receipts in
bulk."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from organising.cached import cache, guarded, in_transaction
from organising.csvexport import csv_response

from .. import reports, services
from ..rates import load_schedules
from .common import attachment, error_text, record_bulk_access, unit_for


def _with_members(request, found) -> bool:
    # Amounts per member only for a cell: above, the breakdown is by unit.
    return found.is_leaf() and access.can(request.user, "dues.member_amounts", found)


def _asked(request, schedules) -> tuple[reports.ReportPeriod, str | None]:
    """The period asked (the current one by default), and the error that made it
    unusable (then: the current period)."""
    asked = request.GET.get("period", "").strip()
    try:
        return reports.report_period(asked or None, schedules=schedules), None
    except ValidationError as invalid:
        return reports.report_period(None, schedules=schedules), error_text(invalid)


def _report(request, slug: str):
    """The unit, its whole report for the period asked and the period's error."""
    found = unit_for(request, "dues.report", slug)
    schedules = load_schedules()
    asked, error = _asked(request, schedules)
    result = reports.unit_report(
        unit=found,
        period=asked,
        with_members=_with_members(request, found),
        schedules=schedules,
    )
    return found, result, error


def _member_ids(result) -> list[int]:
    return [row.user_id for row in result.members or ()]


def _breakdown(found, result) -> list[tuple]:
    """Each row of the breakdown with the address of its own report (one reverse
    for the hundred federations of the national report)."""
    pattern = reverse("dues:report", args=["slug"])
    out = []
    for row in result.children:
        href = ""
        if row.unit is not None and row.unit.pk != found.pk:
            href = pattern.replace("/slug/", f"/{row.unit.slug}/", 1)
            href += "?" + urlencode({"period": result.period_key})
        out.append((row, href))
    return out


@guarded()
def _cached(key: str):
    return cache().get(key)


@guarded()
def _keep(key: str, html: str) -> None:
    if not in_transaction():
        cache().set(key, html, reports.REPORT_CACHE_SECONDS)


def _figures_html(found, asked, schedules) -> str:
    """What the report shows (figures, chart, breakdown, shares), rendered, from
    the shared cache under `reports.report_cache_key` (versions read now: a cached
    report can only miss). Rendering the national breakdown costs more than
    computing it."""
    key = reports.report_cache_key(
        unit=found, asked=asked, schedules=schedules, extra=get_language()
    )
    html = _cached(key)
    if html is None:
        result = reports.unit_report(unit=found, period=asked, schedules=schedules)
        context = {
            "unit": found,
            "report": result,
            "breakdown": _breakdown(found, result),
        }
        html = render_to_string("dues/report.html#figures", context)
        _keep(key, html)
    return mark_safe(html)  # noqa: S308 -- our template's output, escaped there


@login_required
def report(request, slug: str):
    found = unit_for(request, "dues.report", slug)
    schedules = load_schedules()
    asked, error = _asked(request, schedules)
    members = None
    if _with_members(request, found):
        members = reports.member_rows(unit=found, asked=asked, schedules=schedules)
        record_bulk_access(
            request, found, kind="view", members=[m.user_id for m in members]
        )
    this_year = timezone.localdate().year
    context = {
        "unit": found,
        "period": asked,
        "figures_html": _figures_html(found, asked, schedules),
        "members": members,
        "period_error": error,
        "ancestors": list(found.ancestors_qs()),
        "period_choices": reports.period_choices(asked, schedules=schedules),
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
