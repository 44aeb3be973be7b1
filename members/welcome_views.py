"""The end of the join path: an accepted applicant chooses a password, is signed in
and lands on a welcome page (their unit, its officers, what to do first)."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from federation import access
from federation.models import Level
from organising.web import show_errors

from . import joining, services
from .forms import FirstPasswordForm
from .models import Role


def welcome_password(request, uidb36: str, key: str):
    user = joining.welcome_user(uidb36, key)
    if user is None:
        return render(request, "members/welcome_invalid.html", status=410)
    form = FirstPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            joining.member_password_choose(
                user=user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("members:welcome")
    return render(
        request, "members/welcome_password.html", {"form": form, "member": user}
    )


@login_required
def welcome(request):
    membership = services.membership_current(member=request.user)
    unit = membership.unit if membership else None
    officers = []
    if unit is not None:
        # The officers of the member's unit, or of the nearest unit above with any.
        for path in [unit.path, *reversed(unit.ancestor_paths)]:
            officers = list(
                Role.objects.filter(unit__path=path, ended_on__isnull=True)
                .select_related("user", "unit")
                .order_by("kind", "user__display_name")
            )
            if officers:
                break
    return render(
        request,
        "members/welcome.html",
        {
            "membership": membership,
            "unit": unit,
            # Accepted by a section (or the national level): placed in a cell later.
            "in_a_cell": unit is not None
            and not Level.objects.filter(depth__gt=unit.level.depth).exists(),
            "officers": officers,
            "pays_dues": access.can(request.user, "dues.own.view", request.user),
        },
    )
