from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from . import access
from .models import Unit
from .serializers import UnitDetailSerializer, UnitSerializer


class MayListTheTree(permissions.BasePermission):
    """Current members (adherents and sympathisers) read the tree in bulk: a list of
    every unit and group of a party is not for anonymous scrapers (`unit.tree.list`)."""

    def has_permission(self, request, view) -> bool:
        return access.can(request.user, "unit.tree.list")


class UnitPagination(CursorPagination):
    ordering = "path"
    page_size = 100


@extend_schema(
    parameters=[
        OpenApiParameter(
            "parent", str, description="Only the children of this unit (slug)"
        ),
        OpenApiParameter(
            "level",
            {"type": "integer", "minimum": 0},
            description="Only units at this depth (0 = national)",
        ),
    ]
)
class UnitList(generics.ListAPIView):
    """Every unit of the party, in tree order (members only)."""

    serializer_class = UnitSerializer
    pagination_class = UnitPagination
    permission_classes = [permissions.IsAuthenticated, MayListTheTree]

    def get_queryset(self):
        units = Unit.objects.select_related("level")
        parent_slug = self.request.query_params.get("parent")
        if parent_slug:
            parent = get_object_or_404(Unit, slug=parent_slug)
            units = units.filter(path__startswith=parent.path, depth=parent.depth + 1)
        level = self.request.query_params.get("level")
        if level is not None:
            if not (level.isascii() and level.isdigit()):
                raise ValidationError({"level": [_("Give a depth: 0, 1, 2…")]})
            units = units.filter(level__depth=int(level))
        return units

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["parent_slugs"] = getattr(self, "_parent_slugs", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # One more query, whatever the page size, gives every row its parent's slug.
        parent_paths = {u.path[: -u.steplen] for u in page if u.depth > 1}
        self._parent_slugs = dict(
            Unit.objects.filter(path__in=parent_paths).values_list("path", "slug")
        )
        return page


class UnitDetail(generics.RetrieveAPIView):
    """A unit with its ancestors (root first), its children and its groups (members
    only)."""

    serializer_class = UnitDetailSerializer
    permission_classes = [permissions.IsAuthenticated, MayListTheTree]
    lookup_field = "slug"
    queryset = Unit.objects.select_related("level").prefetch_related("groups")

    def retrieve(self, request, *args, **kwargs):
        unit = self.get_object()
        ancestors = list(unit.ancestors_qs().order_by("depth"))
        children = list(
            Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
            .select_related("level")
            .order_by("name")
        )
        context = {
            **self.get_serializer_context(),
            "ancestors": ancestors,
            "children": children,
            "parent_slugs": {u.path: u.slug for u in [*ancestors, unit]},
        }
        return Response(self.get_serializer(unit, context=context).data)
