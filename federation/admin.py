from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Group, GroupMembership, Level, Territory, Unit


class TerritoryInline(admin.TabularInline):
    model = Territory
    extra = 1


@admin.register(Unit)
class UnitAdmin(TreeAdmin):
    form = movenodeform_factory(Unit, exclude=["uri", "public_id"])
    list_display = ["name", "level", "slug"]
    search_fields = ["name", "slug"]
    inlines = [TerritoryInline]


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["depth", "name", "plural", "slug"]


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "is_open"]
    search_fields = ["name"]
    raw_id_fields = ["unit"]
    inlines = [GroupMembershipInline]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["postcode", "commune", "insee_code", "unit"]
    search_fields = ["postcode", "commune", "insee_code"]
    raw_id_fields = ["unit"]
