from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "unit"]
    list_filter = ["action"]
    raw_id_fields = ["actor", "unit"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the trail is read-only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
