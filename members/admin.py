from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Application, Invitation, Membership, Role, User


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ["unit"]
    extra = 0


class RoleInline(admin.TabularInline):
    model = Role
    raw_id_fields = ["unit"]
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name"]}),
        ("Profile", {"fields": ["commune", "phone", "avatar", "bio", "shared_fields"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "display_name", "password1", "password2"]})
    ]
    filter_horizontal = []
    list_filter = ["is_active", "is_staff"]
    inlines = [MembershipInline, RoleInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "unit", "state", "expires_at"]
    exclude = ["token_hash"]
    raw_id_fields = ["unit", "invited_by"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "unit", "state", "created_at"]
    raw_id_fields = ["unit", "decided_by"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "revoked_at"]
    exclude = ["key_hash"]
    raw_id_fields = ["user"]
