"""Read-only views of the dues data for staff. Every change goes through the
services (the pages and the API); the ledger cannot be edited here either."""

from django.contrib import admin

from .models import (
    Balance,
    DebitBatch,
    Import,
    LedgerEntry,
    Mandate,
    Receipt,
    Reminder,
    Schedule,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "member", "amount_cents", "method", "source"]
    list_filter = ["kind", "method", "source"]
    raw_id_fields = ["member", "unit", "reverses", "created_by"]
    search_fields = ["idempotency_key", "reference", "member__email"]


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "period", "valid_from", "valid_until"]


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["member", "due_cents", "paid_cents", "first_unpaid"]
    raw_id_fields = ["member"]


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ["reference", "member", "state", "signed_on"]
    exclude = ["iban"]  # shown in full only to treasurers, on the dues pages
    raw_id_fields = ["member"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["year", "number", "member_name", "amount_cents", "cancelled_at"]


admin.site.register([DebitBatch, Import, Reminder], ReadOnlyAdmin)
