"""The policy module: who is in an audience, who may do what, what each user may see.

Nothing else decides. Views and API endpoints fetch through `get_visible_or_404` and
services call `require`; an object a user may not see answers 404 so that its
existence does not leak. A role held at a unit applies to the unit and every unit
below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from . import viewer_cache
from .models import Audience, AudienceFields, Group, GroupMembership, Unit

SECRETARY, TREASURER, OFFICER = "secretary", "treasurer", "officer"
ANY_OFFICE = frozenset({SECRETARY, TREASURER, OFFICER})

# Unit-scoped actions and the offices that grant them (held at the unit or above).
UNIT_ACTIONS: dict[str, frozenset[str]] = {
    "unit.members.view": ANY_OFFICE,
    "unit.create_child": frozenset({SECRETARY}),
    "unit.edit": frozenset({SECRETARY}),
    "member.invite": frozenset({SECRETARY}),
    "member.transfer": frozenset({SECRETARY}),
    "member.end": frozenset({SECRETARY}),
    "member.view_personal": frozenset({SECRETARY, TREASURER}),
    "application.decide": frozenset({SECRETARY}),
    "group.create": frozenset({SECRETARY, OFFICER}),
    "content.moderate": frozenset({SECRETARY, OFFICER}),
    "content.relay": frozenset({SECRETARY, OFFICER}),
    "dues.manage": frozenset({TREASURER}),
    "dues.report": frozenset({TREASURER, SECRETARY}),
    "dues.schedule": frozenset({TREASURER}),
    # Amounts and standing per member: treasurers and secretaries (not officers).
    "dues.member_amounts": frozenset({TREASURER, SECRETARY}),
    # A member's declared income bracket and full IBAN: treasurers only.
    "dues.bracket_view": frozenset({TREASURER}),
    "dues.mandate_view": frozenset({TREASURER}),
    "audit.view": frozenset({SECRETARY}),
}


@dataclass(frozen=True)
class Viewer:
    """What the policy needs to know about a user, loaded once per request."""

    user_id: int | None = None
    status: str = "anonymous"  # adherent, sympathiser, former or anonymous
    home: Unit | None = None
    home_chain_ids: frozenset[int] = frozenset()  # the home cell and its ancestors
    offices: tuple[tuple[str, str], ...] = ()  # (unit path, office kind)
    group_ids: frozenset[int] = frozenset()
    admin_group_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    office_unit_ids: frozenset[int] = field(default=frozenset())

    @property
    def is_adherent(self) -> bool:
        return self.status == "adherent"

    def holds_office(self, unit: Unit, kinds: frozenset[str] = ANY_OFFICE) -> bool:
        return self.is_superuser or any(
            unit.path.startswith(path) for path, kind in self.offices if kind in kinds
        )

    def sees(self, audience: str, unit=None, group=None) -> bool:
        """Whether this viewer is in the audience. Officers of a unit and of every
        unit above it are in that unit's audiences (they moderate them). `unit` and
        `group` need only `pk` (and `path`): a live socket passes what an event
        carries."""
        if audience == Audience.PUBLIC or self.is_superuser:
            return True
        if audience == Audience.GROUP:
            return group is not None and group.pk in self.group_ids
        if not self.is_adherent:
            return False
        if audience == Audience.PARTY:
            return True
        if unit is None:
            return False
        if self.holds_office(unit):
            return True
        if audience == Audience.UNIT_TREE:
            return unit.pk in self.home_chain_ids
        if audience == Audience.UNIT:
            return self.home is not None and unit.pk == self.home.pk
        return False  # OFFICERS: only office holders, handled above

    def office_paths(self, kinds: frozenset[str] = ANY_OFFICE) -> list[str]:
        return sorted({path for path, kind in self.offices if kind in kinds})


ANONYMOUS = Viewer()


def viewer_for(user) -> Viewer:
    """The user's viewer: kept on the user object for the request, and between
    requests in the cache under the member's context token (`viewer_cache`); built
    from the database (4 queries) when either has moved."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_viewer", None)
    if cached is not None:
        return cached
    version, viewer = viewer_cache.load(user.pk)
    if viewer is None:
        viewer = _viewer_from_database(user)
        viewer_cache.keep(user.pk, version, viewer)
    user._viewer = viewer
    return viewer


def _viewer_from_database(user) -> Viewer:
    from members.models import Membership, Role

    membership = (
        Membership.objects.current()
        .filter(user_id=user.pk)
        .select_related("unit__level")
        .first()
    )
    offices: tuple[tuple[str, str], ...] = ()
    office_unit_ids: frozenset[int] = frozenset()
    group_ids: set[int] = set()
    admin_group_ids: set[int] = set()
    if membership is None:
        status, home, chain = "former", None, frozenset()
    else:
        status, home = membership.status, membership.unit
        chain = frozenset(
            Unit.objects.filter(path__in=[*home.ancestor_paths, home.path]).values_list(
                "pk", flat=True
            )
        )
        if status == Membership.Status.ADHERENT:
            rows = Role.objects.filter(
                user_id=user.pk, ended_on__isnull=True
            ).values_list("unit__path", "kind", "unit_id")
            offices = tuple((path, kind) for path, kind, _ in rows)
            office_unit_ids = frozenset(unit_id for *_, unit_id in rows)
        for group_id, is_admin in GroupMembership.objects.filter(
            user_id=user.pk, status=GroupMembership.Status.ACTIVE
        ).values_list("group_id", "is_admin"):
            group_ids.add(group_id)
            if is_admin:
                admin_group_ids.add(group_id)
    return Viewer(
        user_id=user.pk,
        status=status,
        home=home,
        home_chain_ids=chain,
        offices=offices,
        group_ids=frozenset(group_ids),
        admin_group_ids=frozenset(admin_group_ids),
        is_superuser=user.is_superuser,
        office_unit_ids=office_unit_ids,
    )


def forget_viewer(user) -> None:
    """Drop the cached viewer after a change to the user's memberships or roles."""
    if hasattr(user, "_viewer"):
        del user._viewer


# --- Audiences -------------------------------------------------------------------


def in_audience(
    user, audience: str, unit: Unit | None = None, group: Group | None = None
) -> bool:
    """Whether `user` is in the audience (`Viewer.sees`)."""
    return viewer_for(user).sees(audience, unit, group)


def visible_filter(user, prefix: str = "") -> Q:
    """The Q that keeps the rows of an `AudienceFields` model that `user` may see.
    `prefix` reaches the fields through a relation ("post__")."""
    viewer = viewer_for(user)

    def q(**lookups) -> Q:
        return Q(**{prefix + key: value for key, value in lookups.items()})

    if viewer.is_superuser:
        return Q()
    visible = q(audience=Audience.PUBLIC)
    if viewer.group_ids:
        visible |= q(audience=Audience.GROUP, audience_group_id__in=viewer.group_ids)
    if not viewer.is_adherent:
        return visible
    visible |= q(audience=Audience.PARTY)
    visible |= q(
        audience=Audience.UNIT_TREE, audience_unit_id__in=viewer.home_chain_ids
    )
    if viewer.home is not None:
        visible |= q(audience=Audience.UNIT, audience_unit_id=viewer.home.pk)
    for path in viewer.office_paths():
        visible |= q(
            audience__in=[Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS],
            audience_unit__path__startswith=path,
        )
    return visible


def can_address(
    user, audience: str, unit: Unit | None = None, group: Group | None = None
) -> bool:
    """Whether `user` may publish to the audience: adherents to the public, the party
    and their own cell; officers to any unit they hold an office over; group members
    to their group; members below a unit to its officers (reports go up)."""
    viewer = viewer_for(user)
    if viewer.is_superuser:
        return True
    if audience == Audience.GROUP:
        return group is not None and group.pk in viewer.group_ids
    if not viewer.is_adherent:
        return False
    if audience in (Audience.PUBLIC, Audience.PARTY):
        return True
    if unit is None:
        return False
    if viewer.holds_office(unit, frozenset({SECRETARY, OFFICER})):
        return True
    if audience == Audience.OFFICERS:
        return unit.pk in viewer.home_chain_ids
    return viewer.home is not None and unit.pk == viewer.home.pk


# --- Actions ---------------------------------------------------------------------


def can(user, action: str, obj: Model | None = None) -> bool:
    """Whether `user` may do `action` on `obj` (a unit, a group, a member account)."""
    viewer = viewer_for(user)
    if action in UNIT_ACTIONS:
        unit = _unit_of(obj)
        return unit is not None and viewer.holds_office(unit, UNIT_ACTIONS[action])
    if action == "unit.view":
        return True
    if action == "group.view":
        return True
    if action == "group.join":
        welcome = viewer.is_adherent or (
            viewer.status == "sympathiser"
            and obj is not None
            and obj.sympathisers_welcome
        )
        return welcome and obj is not None and _in_unit_tree(viewer, obj.unit)
    if action == "group.manage":
        return obj is not None and (
            obj.pk in viewer.admin_group_ids
            or viewer.holds_office(obj.unit, frozenset({SECRETARY, OFFICER}))
        )
    if action == "member.view":
        # Members see each other inside the party; officers see the people they serve.
        return obj is not None and (
            obj.pk == viewer.user_id or viewer.is_adherent or viewer.is_superuser
        )
    if action in EVENT_ACTIONS:
        return _event_action(user, viewer, action, obj)
    raise ValueError(f"Unknown action {action!r}")


def members_seeing_each_other(user) -> QuerySet:
    """The active accounts that `user` may see and that may see `user` back (the
    "member.view" rule both ways: adherents among themselves)."""
    from members.models import Membership, User

    viewer = viewer_for(user)
    if not (viewer.is_adherent or viewer.is_superuser):
        return User.objects.none()
    adherents = Membership.objects.current().filter(status=Membership.Status.ADHERENT)
    return User.objects.filter(
        Q(pk__in=adherents.values("user_id")) | Q(is_superuser=True), is_active=True
    )


def require(user, action: str, obj: Model | None = None) -> None:
    """Raise PermissionDenied unless `can(user, action, obj)`."""
    if not can(user, action, obj):
        raise PermissionDenied(action)


def units_with_office(user, kinds: frozenset[str] = ANY_OFFICE) -> QuerySet[Unit]:
    """Every unit the user holds one of `kinds` over (the offices' units and below)."""
    viewer = viewer_for(user)
    if viewer.is_superuser:
        return Unit.objects.all()
    paths = viewer.office_paths(kinds)
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def get_visible_or_404(user, queryset, **lookup):
    """The object matching `lookup` among those `user` may see, or 404 (the same
    answer whether it is missing or hidden)."""
    qs = queryset if isinstance(queryset, QuerySet) else queryset._default_manager.all()
    if issubclass(qs.model, AudienceFields):
        qs = qs.filter(visible_filter(user))
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_for_action_or_404(user, action: str, queryset, **lookup):
    """The object if the user may do `action` on it; 404 when they may not even see
    it, PermissionDenied (403) when they see it but may not act."""
    obj = get_visible_or_404(user, queryset, **lookup)
    require(user, action, obj)
    return obj


def _unit_of(obj) -> Unit | None:
    if isinstance(obj, Unit):
        return obj
    return getattr(obj, "unit", None) or getattr(obj, "audience_unit", None)


def _in_unit_tree(viewer: Viewer, unit: Unit) -> bool:
    return unit.pk in viewer.home_chain_ids or viewer.holds_office(unit)


# --- Agenda: events (organising.agenda) ----------------------------------------------
#
# An event carries `AudienceFields` (who sees it: `visible_filter`, `Viewer.sees`) and
# belongs to a unit's or a group's agenda. Those who run an agenda are the unit's
# secretaries and officers (at the unit or above) or the group's admins; the member who
# created an event keeps editing it while they still see it.

EVENT_ACTIONS = frozenset(
    {
        "event.view",  # obj: an event
        "event.create",  # obj: the unit or the group whose agenda receives it
        "event.edit",  # change, cancel, move an occurrence, import (obj: an event)
        "event.rsvp",  # answer as a signed-in member
        "event.rsvp_guest",  # answer without an account: public events
        "event.attendees.view",  # the list of answers, its CSV export
        "event.submit",  # offer it to the parent unit's officers
        "event.publish",  # as an officer of the unit it was submitted to
    }
)
_AGENDA_OFFICES = frozenset({SECRETARY, OFFICER})


def _runs_agenda(viewer: Viewer, agenda) -> bool:
    """Whether the viewer runs this unit's or group's agenda."""
    if agenda is None:
        return False
    if isinstance(agenda, Group):
        return agenda.pk in viewer.admin_group_ids or viewer.holds_office(
            agenda.unit, _AGENDA_OFFICES
        )
    return viewer.holds_office(agenda, _AGENDA_OFFICES)


def _event_action(user, viewer: Viewer, action: str, obj) -> bool:
    if obj is None:
        return False
    if action == "event.create":
        return _runs_agenda(viewer, obj)
    group = obj.audience_group if obj.audience_group_id else None
    unit = obj.audience_unit if obj.audience_unit_id else None
    sees = viewer.sees(obj.audience, unit, group)
    if action == "event.view":
        return sees
    if action == "event.rsvp":
        return sees and viewer.user_id is not None and obj.status != "cancelled"
    if action == "event.rsvp_guest":
        return viewer.user_id is None and obj.is_public and obj.status == "planned"
    agenda = obj.group if obj.group_id else obj.unit
    runs = _runs_agenda(viewer, agenda) or (
        sees
        and viewer.user_id is not None
        and obj.created_by_id == viewer.user_id
        and (viewer.is_adherent or (obj.group_id in viewer.group_ids))
    )
    if action in ("event.edit", "event.attendees.view"):
        return runs
    if action == "event.submit":
        return (
            runs
            and obj.unit_id is not None
            and obj.unit.depth > 1
            and obj.published_at is None
        )
    if action == "event.publish":
        return (
            obj.submitted_to_id is not None
            and obj.published_at is None
            and viewer.holds_office(obj.submitted_to, _AGENDA_OFFICES)
        )
    return False
