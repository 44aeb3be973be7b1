"""Web pages about people: joining, invitations, profile, tokens, secretary screens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from federation import access
from federation.models import Level, Unit
from federation.services import units_for_postcode
from organising import files
from organising.csvexport import csv_response
from organising.web import show_errors

from . import joining, selectors, services
from .forms import (
    ApplicationForm,
    InvitationAcceptForm,
    InvitationForm,
    MemberFilterForm,
    PostcodeForm,
    ProfileForm,
    RoleAssignForm,
    TokenForm,
    TransferForm,
)
from .models import Application, Membership, User


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home.html")
    try:
        return redirect("messaging:home")
    except NoReverseMatch:
        return redirect("federation:my_units")


def join(request):
    """Find the local cell by postcode, then apply to it."""
    postcode_form = PostcodeForm(request.GET or None)
    found, application_form, target = None, None, None
    if postcode_form.is_valid():
        postcode = postcode_form.cleaned_data["postcode"].strip()
        found = units_for_postcode(postcode)
        target = joining.join_target(found)
        if target is not None:
            application_form = ApplicationForm(request.POST or None)
            if request.method == "POST" and application_form.is_valid():
                try:
                    services.application_submit(
                        unit=target, postcode=postcode, **application_form.cleaned_data
                    )
                except ValidationError as error:
                    show_errors(application_form, error)
                else:
                    return render(request, "members/join_sent.html", {"unit": target})
    return render(
        request,
        "members/join.html",
        {
            "postcode_form": postcode_form,
            "found": found,
            "target": target,
            "form": application_form,
        },
    )


def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_for_token(token)
    except ValidationError as error:
        return render(
            request,
            "members/invitation_invalid.html",
            {"error": error.messages[0]},
            status=410,
        )
    account = services.invitation_account(invitation)
    if account is not None:
        return _invitation_accept_signed_in(request, token, invitation, account)
    form = InvitationAcceptForm(
        request.POST or None, initial={"display_name": invitation.display_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                raw_token=token,
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            # A new account lands where the join path does: its cell, its officers,
            # what to do first.
            return redirect("members:welcome")
    return render(
        request,
        "members/invitation_accept.html",
        {"invitation": invitation, "form": form},
    )


def _invitation_accept_signed_in(request, token: str, invitation, account: User):
    """The address already has an account: its owner signs in as usual (with their
    second factor), comes back to the link and accepts; the link alone never signs
    anyone in."""
    signed_in_as_account = request.user.is_authenticated and request.user == account
    if signed_in_as_account and request.method == "POST":
        try:
            services.invitation_accept_signed_in(raw_token=token, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Welcome to %(unit)s!") % {"unit": invitation.unit.name}
            )
            return redirect("federation:my_units")
    return render(
        request,
        "members/invitation_existing.html",
        {
            "invitation": invitation,
            "signed_in_as_account": signed_in_as_account,
            "login_url": reverse("account_login")
            + "?"
            + urlencode({"next": request.path}),
        },
        status=403 if request.method == "POST" and not signed_in_as_account else 200,
    )


@login_required
def profile(request):
    form = ProfileForm(
        request.POST or None, request.FILES or None, instance=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("members:profile")
    history = selectors.membership_history(member=request.user)
    return render(request, "members/profile.html", {"form": form, "history": history})


@login_required
def member_detail(request, public_id):
    member = get_object_or_404(User, public_id=public_id, is_active=True)
    if not access.can(request.user, "member.view", member):
        raise Http404
    membership = services.membership_current(member=member)
    sees_all = membership is not None and access.can(
        request.user, "member.view_personal", membership.unit
    )
    shown = (
        User.SHAREABLE_FIELDS
        if sees_all or member == request.user
        else member.shared_fields
    )
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "membership": membership,
            "shown": shown,
            "sees_all": sees_all,
        },
    )


@login_required
@require_GET
def member_avatar(request, public_id):
    """A member's picture, to those who may see it (`member.avatar.view`)."""
    member = get_object_or_404(User, public_id=public_id, is_active=True)
    if not access.can(request.user, "member.avatar.view", member):
        raise Http404
    # The address carries the file's name (avatar_url): it may be cached long.
    return files.file_response(member.avatar, max_age=86400)


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = services.token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
        form = TokenForm()
    return render(
        request,
        "members/tokens.html",
        {"form": form, "secret": secret, "tokens": request.user.api_tokens.all()},
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.token_revoke(token=token, by=request.user)
    messages.success(
        request, _("The token “%(name)s” is revoked.") % {"name": token.name}
    )
    return redirect("members:tokens")


@login_required
@require_POST
def tokens_revoke_all(request):
    count = services.tokens_revoke_all(user=request.user, reason="asked")
    messages.success(
        request,
        ngettext("%(n)d token is revoked.", "%(n)d tokens are revoked.", count)
        % {"n": count},
    )
    return redirect("members:tokens")


@login_required
@require_POST
def logout_everywhere(request):
    services.sessions_cut(user=request.user, revoke_tokens=False)
    messages.success(request, _("You are logged out on every device."))
    return redirect("account_login")


@login_required
def admin_home(request):
    """The units a person administers and what waits for them there."""
    units = access.units_with_office(request.user).select_related("level")
    administered = access.units_with_office(request.user, frozenset({access.SECRETARY}))
    return render(
        request,
        "members/admin_home.html",
        {
            "offices": request.user.roles.filter(ended_on__isnull=True).select_related(
                "unit__level"
            ),
            "unit_count": units.count(),
            "applications": selectors.pending_applications(units=administered)[:50],
        },
    )


def _unit_for(request, action: str, slug: str) -> Unit:
    return access.get_for_action_or_404(
        request.user, action, Unit.objects.select_related("level"), slug=slug
    )


@login_required
def unit_members(request, slug: str):
    unit = _unit_for(request, "unit.members.view", slug)
    return _members_page(request, unit)


def _members_page(request, unit: Unit, *, role_form=None, status: int = 200):
    form = MemberFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    page = selectors.unit_members(
        unit=unit,
        query=data.get("q", ""),
        status=data.get("status", ""),
        after=request.GET.get("after"),
    )
    services.personal_data_access_record(
        by=request.user, unit=unit, kind="view", count=len(page.items)
    )
    context = {
        "unit": unit,
        "form": form,
        "page": page,
        "can_admin": access.can(request.user, "member.invite", unit),
        "can_export": access.can(request.user, "member.view_personal", unit),
        **_offices_context(request, unit, role_form),
    }
    if request.htmx and status == 200:
        return render(request, "members/unit_members.html#rows", context)
    return render(request, "members/unit_members.html", context, status=status)


def _offices_context(request, unit: Unit, role_form=None) -> dict:
    """The unit's current offices, and the form to give one (`member.role`)."""
    can_role = access.can(request.user, "member.role", unit)
    return {
        "can_role": can_role,
        "offices": unit.roles.filter(ended_on__isnull=True)
        .select_related("user")
        .order_by("kind", "user__display_name"),
        "role_form": (role_form or RoleAssignForm()) if can_role else None,
    }


@login_required
@require_POST
def unit_role_assign(request, slug: str):
    """A secretary gives an office at the unit to one of its adherents."""
    unit = _unit_for(request, "member.role", slug)
    form = RoleAssignForm(request.POST)
    if form.is_valid():
        member = User.objects.filter(
            email__iexact=form.cleaned_data["email"].strip(), is_active=True
        ).first()
        try:
            if member is None:
                # The same words as for a member elsewhere: addresses do not leak.
                raise ValidationError(
                    {
                        "email": _(
                            "Only an adherent of this unit or below can hold its "
                            "offices."
                        )
                    }
                )
            role = services.role_assign(
                member=member,
                unit=unit,
                kind=form.cleaned_data["kind"],
                by=request.user,
            )
        except ValidationError as error:
            if "member" in getattr(error, "error_dict", {}):
                error = ValidationError({"email": error.error_dict["member"]})
            show_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now %(office)s of %(unit)s.")
                % {"name": member, "office": role.get_kind_display(), "unit": unit},
            )
            return redirect("members:unit_members", slug=unit.slug)
    return _members_page(request, unit, role_form=form, status=400)


@login_required
@require_POST
def unit_role_end(request, slug: str, pk: int):
    unit = _unit_for(request, "member.role", slug)
    role = get_object_or_404(unit.roles.select_related("user"), pk=pk)
    services.role_end(role=role, by=request.user)
    messages.success(
        request,
        _("%(name)s no longer holds the office of %(office)s.")
        % {"name": role.user, "office": role.get_kind_display()},
    )
    return redirect("members:unit_members", slug=unit.slug)


@login_required
def unit_members_export(request, slug: str):
    """Every current member of the unit and below as CSV (recorded in the trail)."""
    unit = _unit_for(request, "member.view_personal", slug)
    rows = selectors.unit_members_for_export(unit=unit)
    services.personal_data_access_record(
        by=request.user, unit=unit, kind="export", count=len(rows)
    )
    header = [
        _("Name"),
        _("E-mail address"),
        _("Phone"),
        _("Commune"),
        _("Cell"),
        _("Status"),
        _("Since"),
    ]
    lines = [
        [
            m.user.display_name,
            m.user.email,
            m.user.phone,
            m.user.commune,
            m.unit.name,
            m.get_status_display(),
            m.started_on.isoformat(),
        ]
        for m in rows
    ]
    return csv_response(
        [header, *lines],
        by=request.user,
        what="members",
        target=unit,
        unit=unit,
        filename=f"members-{unit.slug}.csv",
    )


@login_required
def unit_invite(request, slug: str):
    unit = _unit_for(request, "member.invite", slug)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _secret = services.invitation_create(
                unit=unit, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("members:unit_members", slug=unit.slug)
    return render(
        request,
        "members/unit_invite.html",
        {
            "unit": unit,
            "form": form,
            "pending": unit.invitations.filter(state="pending")[:20],
        },
    )


def _member_in_my_units(request, action: str, public_id) -> tuple[User, Membership]:
    membership = access.membership_in_scope_or_404(request.user, action, public_id)
    return membership.user, membership


@login_required
def member_transfer(request, public_id):
    member, membership = _member_in_my_units(request, "member.transfer", public_id)
    last_level = Level.objects.order_by("-depth").first()
    cells = (
        access.units_with_office(request.user, frozenset({access.SECRETARY}))
        .filter(level=last_level)
        .exclude(pk=membership.unit_id)
        .order_by("name")
    )
    form = TransferForm(request.POST or None, cells=cells)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_transfer(
                member=member, to_cell=form.cleaned_data["to_cell"], by=request.user
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("%(name)s is transferred.") % {"name": member})
            return redirect(
                "members:unit_members", slug=form.cleaned_data["to_cell"].slug
            )
    return render(
        request,
        "members/member_transfer.html",
        {"member": member, "membership": membership, "form": form},
    )


@login_required
def member_end(request, public_id):
    """Ask for confirmation, then mark the member as former."""
    member, membership = _member_in_my_units(request, "member.end", public_id)
    if request.method == "POST":
        services.membership_end(member=member, by=request.user)
        messages.success(
            request, _("%(name)s is now a former member.") % {"name": member}
        )
        return redirect("members:unit_members", slug=membership.unit.slug)
    return render(
        request, "members/member_end.html", {"member": member, "membership": membership}
    )


@login_required
@require_POST
def application_decide(request, pk: int):
    application = get_object_or_404(Application, pk=pk)
    if not access.can(request.user, "application.decide", application.unit):
        raise Http404
    accept = request.POST.get("decision") == "accept"
    try:
        services.application_decide(
            application=application, accept=accept, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = (
            _("%(name)s is welcomed.")
            if accept
            else _("The request of %(name)s is declined.")
        )
        messages.success(request, text % {"name": application.display_name})
    return redirect("members:admin_home")


@login_required
def unit_audit(request, slug: str):
    unit = _unit_for(request, "audit.view", slug)
    from organising.audit.models import AuditEntry

    entries = AuditEntry.objects.filter(
        unit__path__startswith=unit.path
    ).select_related("actor", "unit")[:100]
    return render(
        request, "members/unit_audit.html", {"unit": unit, "entries": entries}
    )
