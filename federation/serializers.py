from rest_framework import serializers

from .models import Group, Unit


class UnitSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="level.name", read_only=True)
    level_depth = serializers.IntegerField(source="level.depth", read_only=True)
    parent = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = ["slug", "name", "level", "level_depth", "uri", "public_id", "parent"]

    def get_parent(self, unit: Unit) -> str | None:
        """The parent's slug, from the path the list already loaded (no query)."""
        parents = self.context.get("parent_slugs", {})
        return parents.get(unit.path[: -unit.steplen]) if unit.depth > 1 else None


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["slug", "name", "description", "is_open"]


class UnitDetailSerializer(UnitSerializer):
    ancestors = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    groups = GroupSerializer(many=True, read_only=True)

    class Meta(UnitSerializer.Meta):
        fields = [
            *UnitSerializer.Meta.fields,
            "description",
            "ancestors",
            "children",
            "groups",
        ]

    def get_ancestors(self, unit: Unit) -> list[dict]:
        return UnitSerializer(self.context["ancestors"], many=True).data

    def get_children(self, unit: Unit) -> list[dict]:
        return UnitSerializer(self.context["children"], many=True).data
