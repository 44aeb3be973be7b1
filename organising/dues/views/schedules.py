"""The party's schedule of dues: every schedule, and publishing a new one (the
national treasurer)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from federation import access
from federation.models import Level, Unit
from organising.web import show_errors

from .. import services
from ..forms import ScheduleForm
from ..rates import load_schedules, schedule_in_force


@login_required
def schedules(request):
    root = Unit.objects.get_first_root_node()
    can_set = root is not None and access.can(request.user, "dues.schedule", root)
    if request.method == "POST" and not can_set:
        raise PermissionDenied
    form = None
    if can_set:
        levels = Level.objects.order_by("depth")
        form = ScheduleForm(request.POST or None, levels=levels)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.schedule_create(by=request.user, **form.schedule_fields())
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The new schedule is published."))
            return redirect("dues:schedules")
    in_force = schedule_in_force()
    context = {
        "schedules": list(reversed(load_schedules())),
        "form": form,
        "in_force_id": in_force.schedule.pk if in_force else None,
    }
    return render(request, "dues/schedules.html", context)
