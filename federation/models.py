"""The organisation tree: levels, units, their territory, thematic groups, audiences."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class Level(models.Model):
    """A level of the tree (national, federation, section, cell): data, not code."""

    depth = models.PositiveSmallIntegerField(_("depth"), unique=True)
    name = models.CharField(_("name"), max_length=60)
    plural = models.CharField(_("plural"), max_length=60)
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["depth"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return self.name


class Unit(MP_Node):
    """A unit of the party. Stored as a materialised path: all descendants and all
    ancestors of a unit are each one indexed query on `path`."""

    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Absolute URI fixed at creation, so that other servers can keep referring to it.
    uri = models.URLField(_("URI"), max_length=300, unique=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # No node_order_by: a new unit is appended after its siblings, so existing paths
    # never shift (a sorted insert would rewrite every later sibling's subtree).
    # Lists order children by name themselves.

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("federation:unit", kwargs={"slug": self.slug})

    @property
    def ancestor_paths(self) -> list[str]:
        """Paths of every ancestor, root first (computed from the path, no query)."""
        step = self.steplen
        return [self.path[:i] for i in range(step, len(self.path), step)]

    def ancestors_qs(self):
        return Unit.objects.filter(path__in=self.ancestor_paths).select_related("level")

    def is_within(self, other: "Unit") -> bool:
        """True when this unit is `other` or one of its descendants."""
        return self.path.startswith(other.path)


class Territory(models.Model):
    """A commune covered by a unit, so that a postcode finds its cell and section."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="territories")
    commune = models.CharField(_("commune"), max_length=120)
    postcode = models.CharField(_("postcode"), max_length=10, db_index=True)
    insee_code = models.CharField(_("INSEE code"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "postcode", "commune"], name="territory_unique_commune"
            )
        ]

    def __str__(self) -> str:
        return f"{self.postcode} {self.commune}"


class Group(models.Model):
    """A thematic group (a health commission, a youth group) attached to a unit."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_open = models.BooleanField(
        _("open"),
        default=True,
        help_text=_(
            "Anyone in the unit joins an open group; a closed one is on request."
        ),
    )
    sympathisers_welcome = models.BooleanField(
        _("open to sympathisers"),
        default=False,
        help_text=_(
            "Sympathisers of the unit may join too (a space for sympathisers)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("federation:group", kwargs={"slug": self.slug})


class GroupMembership(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACTIVE = "active", _("member")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_memberships",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    is_admin = models.BooleanField(_("group admin"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    PARTY = "party", _("The whole party")
    UNIT = "unit", _("This unit only")
    UNIT_TREE = "unit_tree", _("This unit and every unit below")
    GROUP = "group", _("A group")
    OFFICERS = "officers", _("The unit's officers")


class AudienceFields(models.Model):
    """Who may see a piece of content. `federation.access` reads these three fields;
    nothing else decides who is in an audience."""

    audience = models.CharField(_("audience"), max_length=10, choices=Audience)
    audience_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audience_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        audience__in=["unit", "unit_tree", "officers"],
                        audience_unit__isnull=False,
                        audience_group__isnull=True,
                    )
                    | models.Q(
                        audience="group",
                        audience_group__isnull=False,
                        audience_unit__isnull=True,
                    )
                    | models.Q(
                        audience__in=["public", "party"],
                        audience_unit__isnull=True,
                        audience_group__isnull=True,
                    )
                ),
                name="%(app_label)s_%(class)s_audience_target",
            )
        ]
