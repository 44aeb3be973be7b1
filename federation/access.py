"""The policy module: who is in an audience, who may do what, what each user may see.

Nothing else decides. Views and API endpoints fetch through `get_visible_or_404` and
services call `require`. A role held at a unit applies to the unit and every unit
below it.

The one rule for refusals: **invisible answers 404, forbidden answers 403.**
- An object the caller may not see answers 404, the same answer as a missing one, so
  that its existence does not leak: a post outside their audiences, a member, a
  membership or a dues row outside their units, and what exists only for an office
  (a unit's member list and offices, its dues pages, report and ledger, its audit, a
  group's member list or timeline, an event's attendees). Such actions are listed in
  `SHOWN_BY`, with the action that shows the object they act on.
- A caller who sees the object but may not do the action gets 403 (PermissionDenied):
  editing or hiding a post they read, relaying it, creating an event in an agenda
  they read, inviting into a unit whose page is public, setting the dues schedules
  they read, exporting a member list they see without the office that exports.
`refusal()` says which; `get_for_action_or_404` and `enforce` raise it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
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
    # Take back a charge called by mistake, end an exemption: ledger corrections.
    "dues.correct": frozenset({TREASURER}),
    "audit.view": frozenset({SECRETARY}),
    # Assign or end an office in the unit or below.
    "member.role": frozenset({SECRETARY}),
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
    requests in the cache under the member's context version, read from their row
    (`viewer_cache`); built from the database (4 queries) when it has moved."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    version = viewer_cache.version_of(user)
    cached = getattr(user, "_viewer", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    viewer = viewer_cache.load(user)
    if viewer is None:
        viewer = _viewer_from_database(user)
        viewer_cache.keep(user, viewer)
    user._viewer = (version, viewer)
    return viewer


def _viewer_from_database(user) -> Viewer:
    # By name, not by import: the tree sits below members.
    Membership = apps.get_model("members", "Membership")  # noqa: N806
    Role = apps.get_model("members", "Role")  # noqa: N806
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
        for group_id, is_admin, welcomes in GroupMembership.objects.filter(
            user_id=user.pk, status=GroupMembership.Status.ACTIVE
        ).values_list("group_id", "is_admin", "group__sympathisers_welcome"):
            if status != Membership.Status.ADHERENT and not welcomes:
                continue  # an adherent demoted to sympathiser leaves adherent groups
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
    if action == "dues.own.view":
        # One's own dues page (and API): adherents pay dues; a former member keeps
        # what they paid and their receipts; a sympathiser has no dues at all.
        return (
            obj is not None
            and obj.pk == viewer.user_id
            and viewer.status in ("adherent", "former")
        )
    if action == "unit.view":
        return True
    if action == "unit.tree.list":
        # The whole tree and its groups in bulk (the API): members only. A unit's
        # own page stays public (the join flow links to it).
        return viewer.status in _WRITERS or viewer.is_superuser
    if action == "group.view":
        return True
    if action == "unit.officers.view":
        # Who holds an office is shown to the party's current members, not the public.
        return viewer.status in _WRITERS or viewer.is_superuser
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
    if action == "member.avatar.view":
        return obj is not None and _avatar_visible(user, viewer, obj)
    if action in EVENT_ACTIONS:
        return _event_action(user, viewer, action, obj)
    if action == "post.create":
        # Adherents publish; a sympathiser only in the groups they belong to.
        return viewer.is_adherent or viewer.is_superuser or bool(viewer.group_ids)
    if action in POST_ACTIONS:
        return obj is not None and _post_action(user, viewer, action, obj)
    if action in GROUP_ACTIONS:
        return obj is not None and _group_action(user, viewer, action, obj)
    if action in CONVERSATION_ACTIONS:
        return _conversation_action(user, viewer, action, obj)
    if action in CONTACT_ACTIONS:
        return _contact_action(user, viewer, action, obj)
    if action in DOCUMENT_ACTIONS:
        return _document_action(user, viewer, action, obj)
    if action in PETITION_ACTIONS:
        return _petition_action(user, viewer, action, obj)
    if action in VOTE_ACTIONS:
        return _vote_action(user, viewer, action, obj)
    raise ValueError(f"Unknown action {action!r}")


def members_seeing_each_other(user) -> QuerySet:
    """The active accounts that `user` may see and that may see `user` back (the
    "member.view" rule both ways: adherents among themselves)."""
    Membership = apps.get_model("members", "Membership")  # noqa: N806
    User = apps.get_model(settings.AUTH_USER_MODEL)  # noqa: N806
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


# The actions whose object is not seen without an office, each with the action that
# shows that object (itself for a pure read). Refused, they answer 404 unless the
# caller may do the showing action; every other refusal answers 403 (`refusal`).
SHOWN_BY: dict[str, str] = {
    "unit.members.view": "unit.members.view",
    "member.view_personal": "unit.members.view",
    "member.role": "unit.members.view",
    "unit.officers.view": "unit.officers.view",
    "audit.view": "audit.view",
    "dues.report": "dues.report",
    "dues.member_amounts": "dues.member_amounts",
    "dues.manage": "dues.report",
    "dues.correct": "dues.member_amounts",
    "dues.bracket_view": "dues.member_amounts",
    "dues.mandate_view": "dues.member_amounts",
    "group.members.view": "group.members.view",
    "group.timeline.view": "group.timeline.view",
    "event.attendees.view": "event.attendees.view",
}


def refusal(user, action: str, obj: Model | None) -> Exception:
    """What refusing `action` on `obj` answers (the module's rule): Http404 when the
    caller does not see the object (`SHOWN_BY`), PermissionDenied otherwise."""
    shown_by = SHOWN_BY.get(action)
    if shown_by is not None and (shown_by == action or not can(user, shown_by, obj)):
        return Http404()
    return PermissionDenied(action)


def enforce(user, action: str, obj: Model | None = None) -> None:
    """For views and API endpoints: raise `refusal` unless `can(user, action, obj)`."""
    if not can(user, action, obj):
        raise refusal(user, action, obj)


def get_for_action_or_404(user, action: str, queryset, **lookup):
    """The object if the user may do `action` on it; 404 when they may not even see
    it (nor what the action is about: `SHOWN_BY`), PermissionDenied (403) when they
    see it but may not act."""
    obj = get_visible_or_404(user, queryset, **lookup)
    enforce(user, action, obj)
    return obj


def _avatar_visible(user, viewer: Viewer, member) -> bool:
    """A member's picture follows their profile page: seen by those who may see the
    member, if the member shares it (the officers who see personal data see it all)."""
    Membership = apps.get_model("members", "Membership")  # noqa: N806
    if not member.avatar or not can(user, "member.view", member):
        return False
    if member.pk == viewer.user_id or "avatar" in (member.shared_fields or []):
        return True
    home = Membership.objects.current().filter(user=member).select_related("unit")
    membership = home.first()
    return membership is not None and viewer.holds_office(
        membership.unit, UNIT_ACTIONS["member.view_personal"]
    )


def _unit_of(obj) -> Unit | None:
    if isinstance(obj, Unit):
        return obj
    return getattr(obj, "unit", None) or getattr(obj, "audience_unit", None)


def _in_unit_tree(viewer: Viewer, unit: Unit) -> bool:
    return unit.pk in viewer.home_chain_ids or viewer.holds_office(unit)


def group_join_refusal(user, group) -> str:
    """Why `group.join` refuses: "anonymous", "not_member" (no current membership),
    "adherents_only" (a sympathiser, a group for adherents), "outside" (the group
    hangs off a unit the member does not belong to); "" when it allows."""
    if can(user, "group.join", group):
        return ""
    viewer = viewer_for(user)
    if viewer.user_id is None:
        return "anonymous"
    if viewer.status not in _WRITERS:
        return "not_member"
    if not _in_unit_tree(viewer, group.unit):
        return "outside"
    return "adherents_only"


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


# --- Posts and threads -------------------------------------------------------------
#
# A post carries `AudienceFields`, an author and, for a reply, its thread's root. These
# actions read only the object and the viewer, except for blocks (one small query per
# request, kept on the user object).

POST_ACTIONS = frozenset(
    {
        "post.view",  # open its page, its permalink, the API detail
        "post.see_hidden",  # read a hidden post's body and the reason it was hidden
        "post.edit",
        "post.delete",
        "post.reply",
        "post.react",
        "post.boost",
        "post.report",
        "post.relay",  # relay it to a unit above (see `relay_units`)
    }
)
# A relay reaches the audience of a unit above the post's: a post addressed to the
# officers only, or to a group, is never relayed (it would reach people it was not for).
RELAYABLE_AUDIENCES = frozenset(
    {Audience.PUBLIC, Audience.PARTY, Audience.UNIT, Audience.UNIT_TREE}
)
_WRITERS = frozenset({"adherent", "sympathiser"})


def content_filter(user, *, threads: bool = False) -> Q:
    """The posts `user` may see: `visible_filter`, plus what they wrote (a report to
    the officers is not hidden from the member who wrote it). With `threads`, also the
    replies in officers-only threads they started, while they are an adherent (the
    officers answer them there); it joins the root, so only thread reads ask for it."""
    visible = visible_filter(user)
    if not user.is_authenticated or visible == Q():
        return visible
    visible |= Q(author_id=user.pk)
    if threads and viewer_for(user).is_adherent:
        visible |= Q(audience=Audience.OFFICERS, root__author_id=user.pk)
    return visible


def blocker_ids(user) -> frozenset[int]:
    """Members who blocked `user` (one query, kept on the user object for the
    request; `relation_set` drops it)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_blocker_ids", None)
    if cached is None:
        relation = apps.get_model("messaging", "Relation")
        cached = frozenset(
            relation.objects.filter(
                target_id=user.pk, kind=relation.Kind.BLOCK
            ).values_list("owner_id", flat=True)
        )
        user._blocker_ids = cached
    return cached


def _in_post_audience(viewer: Viewer, post) -> bool:
    group = _Ref(post.audience_group_id) if post.audience_group_id else None
    unit = post.audience_unit if post.audience_unit_id else None
    return viewer.sees(post.audience, unit, group)


def _answers_author(viewer: Viewer, post) -> bool:
    """`post` is in an officers-only thread that the (adherent) viewer started (the
    root's author from `post.root_author_id` when it carries one, a live event)."""
    if post.audience != Audience.OFFICERS or not viewer.is_adherent:
        return False
    if post.root_id is None or post.root_id == post.pk:
        return False
    if hasattr(post, "root_author_id"):
        return post.root_author_id == viewer.user_id
    return post.root.author_id == viewer.user_id


def post_reaches(viewer: Viewer, post) -> bool:
    """Whether `post` is among what the viewer reads, from its own fields and the
    loaded viewer (no query): theirs, in its audience, or an officers' answer in a
    thread they started. A live socket asks this of what a post event carries;
    `post.view` adds blocks and hiding."""
    own = viewer.user_id is not None and post.author_id == viewer.user_id
    return own or _in_post_audience(viewer, post) or _answers_author(viewer, post)


def _moderates(viewer: Viewer, post) -> bool:
    unit = post.moderation_unit
    return unit is not None and viewer.holds_office(
        unit, UNIT_ACTIONS["content.moderate"]
    )


def _post_action(user, viewer: Viewer, action: str, post) -> bool:
    own = viewer.user_id is not None and post.author_id == viewer.user_id
    if action == "post.see_hidden":
        return own or _moderates(viewer, post)
    if action == "post.delete":
        return own
    if action == "post.edit":
        return own and not post.is_removed and viewer.status != "former"
    if action == "post.relay":
        return bool(relay_units(user, post))
    in_audience = post_reaches(viewer, post)
    if not in_audience or (not own and post.author_id in blocker_ids(user)):
        return False
    if action == "post.view":
        if post.hidden_at is not None and not (own or _moderates(viewer, post)):
            return False
        return post.deleted_at is None or bool(post.reply_count)
    # Writing about a post: current members only, on a post still shown.
    if post.is_removed or not (viewer.status in _WRITERS or viewer.is_superuser):
        return False
    if action == "post.boost":
        return post.parent_id is None
    return action in ("post.reply", "post.react", "post.report")


def relay_units(user, post) -> list[Unit]:
    """The units `user` may relay `post` to: those strictly above the post's unit
    where they hold an office that relays, if its audience may be relayed at all
    (`RELAYABLE_AUDIENCES`) and they see it."""
    kind = getattr(post, "kind", "post")
    original = post.shared if kind == "relay" and post.shared_id else post
    if kind == "boost" or original.parent_id or original.is_removed:
        return []
    if original.audience not in RELAYABLE_AUDIENCES or original.unit_id is None:
        return []
    viewer = viewer_for(user)
    if not (_in_post_audience(viewer, original) or original.author_id == user.pk):
        return []
    source = original.unit
    candidates = Unit.objects.filter(path__in=source.ancestor_paths).order_by("path")
    kinds = UNIT_ACTIONS["content.relay"]
    return [unit for unit in candidates if viewer.holds_office(unit, kinds)]


# --- Groups -------------------------------------------------------------------------

GROUP_ACTIONS = frozenset({"group.timeline.view", "group.members.view"})


def _group_action(user, viewer: Viewer, action: str, group) -> bool:
    """A group's posts and its member list are for its active members (a pending
    request is not membership), its admins and the officers above it."""
    if viewer.is_superuser or group.pk in viewer.group_ids:
        return True
    if action == "group.members.view":
        return can(user, "group.manage", group)
    return False


# --- Private conversations ---------------------------------------------------------

CONVERSATION_ACTIONS = frozenset(
    {
        "conversation.start",  # start one (obj: None)
        "conversation.list",  # have a conversations page at all (obj: None)
        "conversation.read",  # read a conversation one takes part in
        "conversation.write",  # write in it
        "member.message",  # write to this member (obj: the account)
    }
)


def reads_conversations(viewer: Viewer) -> bool:
    """Current members read the conversations they take part in; a former member
    keeps only their own data (a live socket asks this of its loaded viewer)."""
    return viewer.status in _WRITERS or viewer.is_superuser


def _conversation_action(user, viewer: Viewer, action: str, obj) -> bool:
    if action == "conversation.start":
        return viewer.is_adherent or viewer.is_superuser
    if action == "conversation.list":
        return reads_conversations(viewer)
    if obj is None:
        return False
    if action == "conversation.write":
        return (viewer.is_adherent or viewer.is_superuser) and _conversation_action(
            user, viewer, "conversation.read", obj
        )
    if action == "member.message":
        # Both see each other, the other account is active, and neither blocked.
        if obj.pk == viewer.user_id:
            return False
        if not (can(user, "member.view", obj) and can(obj, "member.view", user)):
            return False
        if not obj.is_active:
            return False
        return obj.pk not in blocker_ids(user) and user.pk not in blocker_ids(obj)
    # conversation.read: a participant who is still a member.
    if not reads_conversations(viewer):
        return False
    participant = getattr(obj, "viewer_participant", None)
    if participant is not None and participant.user_id == viewer.user_id:
        return participant.left_at is None
    participants = apps.get_model("messaging", "Participant")
    return participants.objects.filter(
        conversation_id=obj.pk, user_id=viewer.user_id, left_at__isnull=True
    ).exists()


# --- Who holds a right (for notifications and navigation) ------------------------


def office_holders(action: str, unit: Unit) -> dict[str, list[int]]:
    """The accounts whose office grants the unit action `action` on `unit`, by the
    path of the unit where they hold it (the unit or one above). An office counts only
    while its holder is an active adherent, as in `viewer_for`."""
    role = apps.get_model("members", "Role")
    membership = apps.get_model("members", "Membership")
    adherents = membership.objects.current().filter(status=membership.Status.ADHERENT)
    rows = role.objects.filter(
        unit__path__in=[*unit.ancestor_paths, unit.path],
        kind__in=UNIT_ACTIONS[action],
        ended_on__isnull=True,
        user__is_active=True,
        user_id__in=adherents.values("user_id"),
    ).values_list("unit__path", "user_id")
    by_path: dict[str, list[int]] = {}
    for path, user_id in rows:
        by_path.setdefault(path, []).append(user_id)
    return by_path


def told_of_reports(unit: Unit | None) -> list[int]:
    """Who is notified of a report on content of `unit`: among those the policy lets
    moderate it (`content.moderate`, `office_holders`), the holders at the nearest
    unit up that has any. Those above may moderate it too and find it on their
    reports page; a report does not ring every officer up to the national level."""
    if unit is None:
        return []
    by_path = office_holders("content.moderate", unit)
    if not by_path:
        return []
    return sorted(set(by_path[max(by_path, key=len)]))


def can_somewhere(user_or_viewer, action: str) -> bool:
    """Whether an office somewhere grants the unit action `action` (the navigation
    shows the pages of that office; no query once the viewer is loaded)."""
    viewer = (
        user_or_viewer
        if isinstance(user_or_viewer, Viewer)
        else viewer_for(user_or_viewer)
    )
    kinds = UNIT_ACTIONS[action]
    return viewer.is_superuser or any(kind in kinds for _path, kind in viewer.offices)


def current_member_ids() -> QuerySet:
    """Ids of the accounts with a current membership (adherent or sympathiser) and
    of superusers, as a subquery: what is sent to members (notifications, e-mail
    digests, unread counts) goes to them only; a former member keeps only their own
    data."""
    membership = apps.get_model("members", "Membership")
    user = apps.get_model(settings.AUTH_USER_MODEL)
    return user.objects.filter(
        Q(is_superuser=True) | Q(pk__in=membership.objects.current().values("user_id"))
    ).values("pk")


def is_current_member(user_id: int) -> bool:
    """Whether the account is among `current_member_ids` (one small query)."""
    return current_member_ids().filter(pk=user_id).exists()


# --- Members in one's units ---------------------------------------------------------


def membership_in_scope_or_404(user, action: str, public_id):
    """The current membership (with user and unit) of the member with `public_id`
    if `user` may do `action` in its unit; 404 otherwise, the same answer whether
    the id is unknown, a former member or someone outside the user's units."""
    membership_model = apps.get_model("members", "Membership")
    try:
        membership = (
            membership_model.objects.current()
            .select_related("user", "unit")
            .filter(user__public_id=public_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    if membership is None or not can(user, action, membership.unit):
        raise Http404
    return membership


def dues_membership_or_404(user, action: str, public_id):
    """The membership whose unit keeps a member's dues, if `user` may do `action`
    there: the current one, or for a former member their last one (the treasurers
    of their last unit record their arrears); 404 otherwise."""
    membership_model = apps.get_model("members", "Membership")
    try:
        memberships = membership_model.objects.select_related("user", "unit").filter(
            user__public_id=public_id
        )
        membership = (
            memberships.current().first()
            or memberships.order_by("-ended_on", "-started_on", "-pk").first()
        )
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    if membership is None or not can(user, action, membership.unit):
        raise Http404
    return membership


@dataclass(frozen=True)
class _Ref:
    """An object known by its primary key only (what `Viewer.sees` needs of a
    group)."""

    pk: int


# --- Contacts and the member directory (organising.contacts) -------------------------
#
# A contact belongs to a unit. It is seen by the officers of that unit and of the units
# above (any office), and by the members following it up (its follower, the members it
# is shared with) while they are adherents whose home cell is in that unit's subtree
# (a transfer elsewhere ends it). Sharing is done by the follower or an officer;
# reassigning, merging, importing, exporting and erasing by the unit's officers.

CONTACT_ACTIONS = frozenset(
    {
        "contact.list",  # have a contacts page at all (obj: None)
        "contact.view",  # obj: a contact
        "contact.create",  # obj: the unit that keeps it
        "contact.edit",  # change its fields, its notes (obj: a contact)
        "contact.interact",  # add an interaction to its history
        "contact.share",  # share it with another member of the unit
        "contact.reassign",  # change who follows it up
        "contact.merge",  # merge a duplicate into it (obj: a contact)
        "contact.erase",  # erase it on request (right to erasure)
        "contact.invite",  # invite it to join (obj: a contact)
        "contact.export",  # CSV and vCard of the unit's contacts (obj: a unit)
        "contact.import",  # CSV and vCard into the unit (obj: a unit)
        "directory.view",  # the members of a unit or a group (obj: unit or group)
        "member.vcard",  # a member's card, with the fields they show (obj: account)
    }
)
_CONTACT_MANAGERS = frozenset({SECRETARY, OFFICER})


def _follows_contact(viewer: Viewer, contact) -> bool:
    """The viewer follows the contact up or it was shared with them, and they still
    belong to its unit's subtree as an adherent."""
    if not viewer.is_adherent or contact.unit_id not in viewer.home_chain_ids:
        return False
    if contact.follower_id == viewer.user_id:
        return True
    shared = getattr(contact, "viewer_shared", None)
    if shared is not None:
        return bool(shared)
    shares = apps.get_model("contacts", "ContactShare")
    return shares.objects.filter(
        contact_id=contact.pk, member_id=viewer.user_id
    ).exists()


def contact_filter(user) -> Q:
    """The Q that keeps the contacts `user` may see (`contact.view` for querysets)."""
    viewer = viewer_for(user)
    if viewer.is_superuser:
        return Q()
    if not viewer.is_adherent:
        return Q(pk__in=[])
    visible = Q(pk__in=[])
    paths = viewer.office_paths()
    if paths:
        # A subquery of unit ids, not a join: the contacts' own indexes stay usable
        # (name order, trigram search) for an officer's whole subtree.
        under = Q()
        for path in paths:
            under |= Q(path__startswith=path)
        visible |= Q(unit_id__in=Unit.objects.filter(under).values("pk"))
    shares = apps.get_model("contacts", "ContactShare")
    followed = Q(follower_id=viewer.user_id) | Q(
        pk__in=shares.objects.filter(member_id=viewer.user_id).values("contact_id")
    )
    return visible | (Q(unit_id__in=viewer.home_chain_ids) & followed)


def may_follow_contact(member, contact) -> bool:
    """Whether `member` may follow `contact` up (be shared it, be assigned it): an
    adherent of its unit's subtree, or an officer above it."""
    viewer = viewer_for(member)
    if not viewer.is_adherent:
        return False
    return contact.unit_id in viewer.home_chain_ids or viewer.holds_office(contact.unit)


def contact_for_action_or_404(user, action: str, public_id, queryset=None):
    """The contact with `public_id` if `user` sees it (else 404, the same answer as
    a missing one) and may do `action` on it (else 403)."""
    contacts = apps.get_model("contacts", "Contact")
    qs = queryset if queryset is not None else contacts.objects.all()
    try:
        contact = (
            qs.select_related("unit")
            .filter(contact_filter(user))
            .get(public_id=public_id)
        )
    except (contacts.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    require(user, action, contact)
    return contact


def _contact_action(user, viewer: Viewer, action: str, obj) -> bool:
    if action == "contact.list":
        return viewer.is_adherent or viewer.is_superuser
    if obj is None:
        return False
    if action == "contact.create":
        return viewer.is_superuser or (
            viewer.is_adherent
            and (obj.pk in viewer.home_chain_ids or viewer.holds_office(obj))
        )
    if action in ("contact.export", "contact.import"):
        return viewer.holds_office(obj, _CONTACT_MANAGERS)
    if action == "directory.view":
        if isinstance(obj, Group):
            return obj.pk in viewer.group_ids or can(user, "group.manage", obj)
        return (
            viewer.is_superuser
            or viewer.holds_office(obj)
            or (viewer.is_adherent and obj.pk in viewer.home_chain_ids)
        )
    if action == "member.vcard":
        return (viewer.is_adherent or viewer.is_superuser) and obj.is_active
    # The actions on one contact.
    officer = viewer.holds_office(obj.unit)
    manager = viewer.holds_office(obj.unit, _CONTACT_MANAGERS)
    if action in ("contact.reassign", "contact.merge", "contact.erase"):
        return manager
    if action == "contact.invite":
        return viewer.holds_office(obj.unit, UNIT_ACTIONS["member.invite"])
    if officer:
        return True  # view, edit, interact, share
    follows = _follows_contact(viewer, obj)
    if action in ("contact.view", "contact.interact"):
        return follows
    if action in ("contact.edit", "contact.share"):
        return follows and obj.follower_id == viewer.user_id
    return False


# --- Shared documents (organising.documents) ----------------------------------------
#
# A document carries `AudienceFields` (who reads it) and belongs to a unit's or a
# group's documents. Those who run them are the unit's secretaries and officers (at
# the unit or above) or the group's admins; who else edits is the document's own
# choice (`editors`): its author, or every current member who reads it.

DOCUMENT_ACTIONS = frozenset(
    {
        "document.view",  # read it, its files, its comments (obj: a document)
        "document.create",  # obj: the unit or group whose documents receive it
        "document.edit",  # save a revision, upload a file
        "document.manage",  # title, audience, who edits, open for amendments
        "document.history.view",  # its revisions and their diffs
        "document.restore",  # an old revision as a new one
        "document.comment",  # comment and reply
        "document.live",  # join the live editing (send updates)
        "file.upload",  # a file beside the document
        "comment.resolve",  # obj: a comment
        "amendment.propose",  # obj: a document open for amendments
        "amendment.decide",  # accept, reject, send to a vote (obj: an amendment)
        "amendment.withdraw",  # its author, while proposed
        "amendment.submit",  # carry an accepted amendment to the unit above
    }
)
_DOCUMENT_OFFICES = frozenset({SECRETARY, OFFICER})


def _runs_documents(viewer: Viewer, owner) -> bool:
    """Whether the viewer runs this unit's or group's documents."""
    if owner is None:
        return False
    if isinstance(owner, Group):
        return owner.pk in viewer.admin_group_ids or viewer.holds_office(
            owner.unit, _DOCUMENT_OFFICES
        )
    return viewer.holds_office(owner, _DOCUMENT_OFFICES)


def _document_writer(viewer: Viewer, document) -> bool:
    """A current member who reads the document and may write where it lives: an
    adherent, or a sympathiser in the document's group."""
    return (
        viewer.is_superuser
        or viewer.is_adherent
        or (
            viewer.status == "sympathiser"
            and document.group_id is not None
            and document.group_id in viewer.group_ids
        )
    )


def _document_action(user, viewer: Viewer, action: str, obj) -> bool:
    if obj is None:
        return False
    if action == "document.create":
        if viewer.is_superuser or _runs_documents(viewer, obj):
            return True
        if isinstance(obj, Group):
            return obj.pk in viewer.group_ids and viewer.status in _WRITERS
        home = viewer.home
        return viewer.is_adherent and home is not None and home.pk == obj.pk
    if action == "comment.resolve":
        document = obj.document
        return _document_action(user, viewer, "document.comment", document) and (
            obj.author_id == viewer.user_id
            or document.created_by_id == viewer.user_id
            or _runs_documents(viewer, document.group or document.unit)
        )
    if action in ("amendment.decide", "amendment.withdraw", "amendment.submit"):
        document = obj.document
        if not _document_action(user, viewer, "document.view", document):
            return False
        if action == "amendment.withdraw":
            return obj.author_id == viewer.user_id and obj.status == "proposed"
        runs = _runs_documents(viewer, document.group or document.unit)
        if action == "amendment.decide":
            return runs and obj.status in ("proposed", "voting")
        return (
            runs
            and obj.status == "accepted"
            and document.unit_id is not None
            and document.unit.depth > 1
        )
    document = obj
    group = document.audience_group if document.audience_group_id else None
    unit = document.audience_unit if document.audience_unit_id else None
    sees = viewer.sees(document.audience, unit, group)
    if action in ("document.view", "document.history.view"):
        return sees
    if not sees or not _document_writer(viewer, document):
        return False
    runs = _runs_documents(viewer, document.group or document.unit)
    if action == "document.comment":
        return True
    if action == "amendment.propose":
        return document.amendments_until is not None
    if action == "document.manage":
        return runs or document.created_by_id == viewer.user_id
    # document.edit, document.restore, document.live, file.upload
    if runs:
        return True
    if document.editors == "audience":
        return True
    if document.editors == "author":
        return document.created_by_id == viewer.user_id
    return False


# --- Petitions (organising.petitions) ------------------------------------------------
#
# A petition belongs to a unit. Its page is public while it is open or closed (the
# result stays readable); a draft is seen by those who run it only. Its officers are
# the secretaries and officers of the unit or above; the signers' personal data leave
# in bulk (CSV) through the secretaries only.

PETITION_ACTIONS = frozenset(
    {
        "petition.view",  # its public page, count, embed (obj: a petition)
        "petition.sign",  # ask to sign: anyone, signed in or not, while it is open
        "petition.create",  # obj: the unit hosting it
        "petition.manage",  # edit, open, its officers' page (obj: a petition)
        "petition.signatures.view",  # the signatures list with names and e-mails
        "petition.export",  # the CSV of confirmed signatures
        "petition.close",
        "petition.list",  # a unit's petitions for its officers (obj: the unit)
    }
)
_PETITION_OFFICES = frozenset({SECRETARY, OFFICER})


def _petition_action(user, viewer: Viewer, action: str, obj) -> bool:
    if obj is None:
        return False
    if action in ("petition.create", "petition.list"):
        return viewer.holds_office(obj, _PETITION_OFFICES)
    runs = viewer.holds_office(obj.unit, _PETITION_OFFICES)
    if action == "petition.view":
        return obj.status != "draft" or runs
    if action == "petition.sign":
        return obj.accepts_signatures
    if action == "petition.export":
        return viewer.holds_office(obj.unit, frozenset({SECRETARY}))
    return runs  # manage, close, signatures.view


# --- Votes (organising.votes) --------------------------------------------------------
#
# A vote carries `AudienceFields` (its electorate's audience: a unit, a unit and below,
# a group, a unit's officers) and belongs to a unit (a group's unit for a group's
# vote). Those who run it are the unit's secretaries and officers (at the unit or
# above) or the group's admins. Who may vote is fixed when it opens (its Elector rows,
# checked by the service: outside the electorate is a 400, not a 403); a member
# transferred since still sees the votes they are an elector of.

VOTE_ACTIONS = frozenset(
    {
        "vote.view",  # obj: a vote (its page, its size of electorate, its turnout)
        "vote.create",  # obj: the unit or the group that votes
        "vote.manage",  # edit a draft, set delegates' weights
        "vote.open",
        "vote.close",
        "vote.cast",  # cast or change one's ballot (the service checks the electorate)
        "vote.proxy.give",
        "vote.results.view",  # totals, breakdown, rounds; roll-call: who voted what
        "vote.receipts.view",  # the published list of receipts (after closing)
        "vote.electorate.view",  # the list of who may vote, who has voted
        "vote.export",  # the results as CSV, the minutes
    }
)
_VOTE_OFFICES = frozenset({SECRETARY, OFFICER})


def _runs_vote(viewer: Viewer, target) -> bool:
    """Whether the viewer runs votes of `target`: a unit or a group (whose votes
    are being created), or a vote (its group's, else its unit's)."""
    if not isinstance(target, Unit | Group):
        target = target.group if target.group_id else target.unit
    if isinstance(target, Group):
        return target.pk in viewer.admin_group_ids or viewer.holds_office(
            target.unit, _VOTE_OFFICES
        )
    return viewer.holds_office(target, _VOTE_OFFICES)


def _is_elector(viewer: Viewer, vote) -> bool:
    """In the vote's electorate as it was fixed at opening (one query, kept on the
    vote object for the request)."""
    if viewer.user_id is None or vote.status == "draft":
        return False
    cache = vote.__dict__.setdefault("_electors_seen", {})
    if viewer.user_id not in cache:
        elector = apps.get_model("votes", "Elector")
        cache[viewer.user_id] = elector.objects.filter(
            vote_id=vote.pk, member_id=viewer.user_id
        ).exists()
    return cache[viewer.user_id]


def _vote_action(user, viewer: Viewer, action: str, obj) -> bool:
    if obj is None:
        return False
    if action == "vote.create":
        return (viewer.is_adherent or viewer.is_superuser) and _runs_vote(viewer, obj)
    runs = _runs_vote(viewer, obj)
    if obj.status == "draft":
        sees = runs
    else:
        group = obj.audience_group if obj.audience_group_id else None
        unit = obj.audience_unit if obj.audience_unit_id else None
        current = viewer.status in _WRITERS or viewer.is_superuser
        sees = runs or (
            current
            and (viewer.sees(obj.audience, unit, group) or _is_elector(viewer, obj))
        )
    if action == "vote.view":
        return sees
    if action in ("vote.manage", "vote.open", "vote.close"):
        # A change out of turn (editing an open vote, closing twice) is refused by
        # the services along the vote's state graph: a 400 saying why.
        return runs
    if action in ("vote.electorate.view", "vote.export"):
        return runs and obj.status != "draft"
    if not sees or viewer.user_id is None:
        return False
    if action == "vote.cast":
        # Before opening or after closing the service answers why (a 400 naming it).
        return viewer.status in _WRITERS
    if action == "vote.proxy.give":
        return obj.status != "closed" and viewer.status in _WRITERS
    if action == "vote.results.view":
        if obj.status == "draft":
            return False
        return runs or obj.status == "closed" or obj.results_while_open
    if action == "vote.receipts.view":
        return obj.status == "closed"
    return False
