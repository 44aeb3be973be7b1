"""Every write to the tree: units, territories, groups."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from organising.audit.services import audit_record

from . import access
from .models import Group, GroupMembership, Level, Territory, Unit


def _unique_slug(model, name: str) -> str:
    base = slugify(name)[:70] or "unit"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _unit_fields(*, name: str, level: Level, description: str = "") -> dict:
    slug = _unique_slug(Unit, name)
    return {
        "name": name,
        "level": level,
        "slug": slug,
        "description": description,
        "uri": f"{settings.SITE_URL}/units/{slug}/",
    }


@transaction.atomic
def unit_create_root(*, name: str, level: Level) -> Unit:
    """The top of the tree (the national level); made by seeding or the admin."""
    return Unit.objects.add_root(_unit_fields(name=name, level=level))


@transaction.atomic
def unit_create(*, parent: Unit, name: str, by, description: str = "") -> Unit:
    """Create a unit one level under `parent`; cells (the last level) have none."""
    access.require(by, "unit.create_child", parent)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the unit a name.")})
    level = Level.objects.filter(depth=parent.level.depth + 1).first()
    if level is None:
        raise ValidationError(
            {
                "parent": _("A %(level)s has no sub-units.")
                % {"level": parent.level.name}
            }
        )
    if (
        Unit.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .filter(name__iexact=name)
        .exists()
    ):
        raise ValidationError({"name": _("A sub-unit with this name already exists.")})
    # treebeard's add_child reads the parent's child count: use a fresh row.
    parent = Unit.objects.select_for_update().get(pk=parent.pk)
    unit = Unit.objects.add_child(
        parent, _unit_fields(name=name, level=level, description=description)
    )
    audit_record(actor=by, action="unit.create", target=unit, unit=parent)
    return unit


@transaction.atomic
def territory_add(
    *, unit: Unit, commune: str, postcode: str, by, insee_code: str = ""
) -> Territory:
    """Say that `unit` covers a commune, so that its postcode finds the unit."""
    access.require(by, "unit.edit", unit)
    postcode, insee_code = postcode.strip().replace(" ", ""), insee_code.strip()
    if not (postcode.isdigit() and len(postcode) == 5):
        raise ValidationError({"postcode": _("A French postcode has five digits.")})
    if insee_code and not (len(insee_code) == 5 and insee_code[:2].isalnum()):
        raise ValidationError({"insee_code": _("An INSEE code has five characters.")})
    territory, _created = Territory.objects.get_or_create(
        unit=unit,
        postcode=postcode,
        commune=commune.strip(),
        defaults={"insee_code": insee_code},
    )
    audit_record(
        actor=by,
        action="territory.add",
        target=territory,
        unit=unit,
        data={"postcode": postcode, "commune": territory.commune},
    )
    return territory


@transaction.atomic
def territory_remove(*, territory: Territory, by) -> None:
    access.require(by, "unit.edit", territory.unit)
    audit_record(
        actor=by,
        action="territory.remove",
        target=territory,
        unit=territory.unit,
        data={"postcode": territory.postcode, "commune": territory.commune},
    )
    territory.delete()


def units_for_postcode(postcode: str) -> dict:
    """The cell and section covering a postcode; the nearest section when no cell does.

    "Nearest" is the section whose territory shares the longest postcode prefix (the
    same département first), which is what a visitor without a local cell expects."""
    postcode = postcode.strip().replace(" ", "")
    found = {"cell": None, "section": None}
    if not (postcode.isdigit() and len(postcode) == 5):
        return found
    cell_level, section_level = _cell_and_section_levels()
    covering = list(
        Unit.objects.filter(territories__postcode=postcode)
        .select_related("level")
        .distinct()
    )
    for unit in covering:
        if unit.level_id == cell_level.pk and found["cell"] is None:
            found["cell"] = unit
        if unit.level_id == section_level.pk and found["section"] is None:
            found["section"] = unit
    if found["cell"] and not found["section"]:
        found["section"] = Unit.objects.get_parent(found["cell"])
    if found["section"] is None:
        for length in (4, 3, 2):
            near = (
                Unit.objects.filter(
                    level=section_level,
                    territories__postcode__startswith=postcode[:length],
                )
                .order_by("name")
                .first()
            )
            if near is None:
                near_cell = (
                    Unit.objects.filter(
                        level=cell_level,
                        territories__postcode__startswith=postcode[:length],
                    )
                    .order_by("name")
                    .first()
                )
                near = Unit.objects.get_parent(near_cell) if near_cell else None
            if near is not None:
                found["section"], found["nearest"] = near, True
                break
    return found


def _cell_and_section_levels() -> tuple[Level, Level]:
    levels = list(Level.objects.order_by("-depth")[:2])
    return levels[0], levels[1]


@transaction.atomic
def group_create(
    *,
    unit: Unit,
    name: str,
    by,
    is_open: bool = True,
    sympathisers_welcome: bool = False,
    description: str = "",
) -> Group:
    access.require(by, "group.create", unit)
    group = Group.objects.create(
        unit=unit,
        name=name,
        slug=_unique_slug(Group, name),
        is_open=is_open,
        sympathisers_welcome=sympathisers_welcome,
        description=description,
    )
    GroupMembership.objects.create(group=group, user=by, is_admin=True)
    audit_record(actor=by, action="group.create", target=group, unit=unit)
    access.forget_viewer(by)
    return group


@transaction.atomic
def group_join(*, group: Group, user) -> GroupMembership:
    """Join an open group at once; ask to join a closed one (its admins approve)."""
    if not access.can(user, "group.join", group):
        raise ValidationError(
            _("Only members of %(unit)s can join.") % {"unit": group.unit}
        )
    status = (
        GroupMembership.Status.ACTIVE
        if group.is_open
        else GroupMembership.Status.PENDING
    )
    membership, _created = GroupMembership.objects.get_or_create(
        group=group, user=user, defaults={"status": status}
    )
    access.forget_viewer(user)
    return membership


@transaction.atomic
def group_approve(*, membership: GroupMembership, by) -> GroupMembership:
    access.require(by, "group.manage", membership.group)
    membership.status = GroupMembership.Status.ACTIVE
    membership.save(update_fields=["status"])
    audit_record(
        actor=by, action="group.approve", target=membership, unit=membership.group.unit
    )
    return membership


@transaction.atomic
def group_leave(*, group: Group, user) -> None:
    GroupMembership.objects.filter(group=group, user=user).delete()
    access.forget_viewer(user)
