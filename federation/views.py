"""Web pages of the tree: my units, a unit, its sub-units and groups."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from organising.collation import collated
from organising.web import show_errors

from . import access, services
from .forms import GroupForm, TerritoryForm, UnitCreateForm
from .models import Audience, Group, GroupMembership, Territory, Unit

# What a member reads when `group.join` refuses (`access.group_join_refusal`).
JOIN_REFUSALS = {
    "anonymous": gettext_lazy("Log in to join this group."),
    "not_member": gettext_lazy("Only current members of the party join groups."),
    "adherents_only": gettext_lazy(
        "This group is for adherents: sympathisers cannot join it."
    ),
    "outside": gettext_lazy(
        "This group is for the members of %(unit)s; you belong to another unit."
    ),
}


@login_required
def my_units(request):
    """The member's home cell and every level above it, with their offices."""
    viewer = access.viewer_for(request.user)
    chain = []
    if viewer.home is not None:
        chain = list(
            Unit.objects.filter(pk__in=viewer.home_chain_ids)
            .select_related("level")
            .order_by("depth")
        )
    offices = request.user.roles.filter(ended_on__isnull=True).select_related(
        "unit__level"
    )
    groups = GroupMembership.objects.filter(user=request.user).select_related(
        "group__unit"
    )
    return render(
        request,
        "federation/my_units.html",
        {
            "chain": chain,
            "offices": offices,
            "groups": groups,
            "viewer": viewer,
            # Every group of the member's units they are not in, and what they may do.
            "offers": _group_offers(
                request.user,
                Group.objects.filter(unit__in=chain)
                .exclude(memberships__user=request.user)
                .select_related("unit")
                .order_by("unit__depth", "name")[:100],
            ),
        },
    )


def unit_detail(request, slug: str):
    unit = get_object_or_404(Unit.objects.select_related("level"), slug=slug)
    user = request.user
    context = {
        "unit": unit,
        "ancestors": unit.ancestors_qs().order_by("depth"),
        "children": Unit.objects.filter(
            path__startswith=unit.path, depth=unit.depth + 1
        )
        .select_related("level")
        .order_by("name"),
        "groups": _group_offers(user, unit.groups.select_related("unit")),
        "officers": _officers(user, unit),
        "can_post": access.can_address(user, Audience.UNIT_TREE, unit),
        "can_view_members": access.can(user, "unit.members.view", unit),
        "can_create_child": access.can(user, "unit.create_child", unit)
        and unit.level.depth < _last_depth(),
        "can_invite": access.can(user, "member.invite", unit),
        "can_create_group": access.can(user, "group.create", unit),
        "can_audit": access.can(user, "audit.view", unit),
        "can_edit": access.can(user, "unit.edit", unit),
    }
    return render(request, "federation/unit_detail.html", context)


def _officers(user, unit: Unit) -> list | None:
    if not access.can(user, "unit.officers.view", unit):
        return None
    return list(
        unit.roles.filter(ended_on__isnull=True)
        .select_related("user")
        .order_by("kind", collated("user__display_name"))
    )


def _join_refusal(user, group: Group) -> str:
    reason = access.group_join_refusal(user, group)
    return str(JOIN_REFUSALS[reason]) % {"unit": group.unit} if reason else ""


def _group_offers(user, groups) -> list[dict]:
    """Each group with what the member may do there: open its timeline, join or ask
    to join, or why not."""
    groups = list(groups)
    mine = {}
    if user.is_authenticated:
        mine = dict(
            GroupMembership.objects.filter(user=user, group__in=groups).values_list(
                "group_id", "status"
            )
        )
    return [
        {
            "group": group,
            "mine": mine.get(group.pk),
            "sees_timeline": access.can(user, "group.timeline.view", group),
            "can_join": access.can(user, "group.join", group),
            "refusal": "" if group.pk in mine else _join_refusal(user, group),
        }
        for group in groups
    ]


def _last_depth() -> int:
    from .models import Level

    return Level.objects.order_by("-depth").values_list("depth", flat=True).first() or 0


@login_required
def unit_create_child(request, slug: str):
    parent = access.get_for_action_or_404(
        request.user,
        "unit.create_child",
        Unit.objects.select_related("level"),
        slug=slug,
    )
    form = UnitCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(
                parent=parent, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("%(name)s is created.") % {"name": unit.name})
            return redirect(unit)
    return render(
        request, "federation/unit_create.html", {"parent": parent, "form": form}
    )


@login_required
def group_create(request, slug: str):
    unit = access.get_for_action_or_404(request.user, "group.create", Unit, slug=slug)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = services.group_create(unit=unit, by=request.user, **form.cleaned_data)
        return redirect(group)
    return render(request, "federation/group_create.html", {"unit": unit, "form": form})


def group_detail(request, slug: str):
    group = get_object_or_404(Group.objects.select_related("unit"), slug=slug)
    mine = None
    if request.user.is_authenticated:
        mine = group.memberships.filter(user=request.user).first()
    can_manage = access.can(request.user, "group.manage", group)
    # A pending request to join is not membership: the list stays closed to it.
    sees_members = access.can(request.user, "group.members.view", group)
    memberships = group.memberships.select_related("user").order_by(
        collated("user__display_name")
    )
    return render(
        request,
        "federation/group_detail.html",
        {
            "group": group,
            "mine": mine,
            "can_manage": can_manage,
            "can_join": access.can(request.user, "group.join", group),
            "refusal": "" if mine else _join_refusal(request.user, group),
            "sees_timeline": access.can(request.user, "group.timeline.view", group),
            "members": memberships.filter(status="active")[:200]
            if sees_members
            else [],
            "pending": memberships.filter(status="pending") if can_manage else [],
        },
    )


@login_required
@require_POST
def group_join(request, slug: str):
    group = get_object_or_404(Group, slug=slug)
    try:
        membership = services.group_join(group=group, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if membership.status == GroupMembership.Status.PENDING:
            messages.success(request, _("Your request is sent to the group's admins."))
        else:
            messages.success(request, _("You joined %(group)s.") % {"group": group})
    return redirect(group)


@login_required
@require_POST
def group_leave(request, slug: str):
    group = get_object_or_404(Group, slug=slug)
    services.group_leave(group=group, user=request.user)
    return redirect(group)


@login_required
@require_POST
def group_approve(request, slug: str, pk: int):
    group = access.get_for_action_or_404(request.user, "group.manage", Group, slug=slug)
    membership = get_object_or_404(group.memberships, pk=pk)
    services.group_approve(membership=membership, by=request.user)
    return redirect(group)


@login_required
def unit_territory(request, slug: str):
    """The communes a unit covers: a postcode finds the unit on the join page."""
    unit = access.get_for_action_or_404(request.user, "unit.edit", Unit, slug=slug)
    form = TerritoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.territory_add(unit=unit, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            return redirect("federation:unit_territory", slug=unit.slug)
    return render(
        request,
        "federation/unit_territory.html",
        {
            "unit": unit,
            "form": form,
            "territories": unit.territories.order_by("postcode"),
        },
    )


@login_required
@require_POST
def territory_remove(request, slug: str, pk: int):
    unit = access.get_for_action_or_404(request.user, "unit.edit", Unit, slug=slug)
    territory = get_object_or_404(Territory, pk=pk, unit=unit)
    services.territory_remove(territory=territory, by=request.user)
    return redirect("federation:unit_territory", slug=unit.slug)
