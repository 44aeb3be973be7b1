from django.contrib import admin

from .models import Event, OccurrenceException, Rsvp


class ExceptionInline(admin.TabularInline):
    model = OccurrenceException
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "starts_at", "unit", "group", "audience"]
    list_filter = ["kind", "status", "audience"]
    search_fields = ["title", "uid"]
    raw_id_fields = ["unit", "group", "audience_unit", "audience_group", "created_by"]
    readonly_fields = ["first_start", "last_end", "description_html"]
    inlines = [ExceptionInline]

    def save_related(self, request, form, formsets, change):
        """The admin writes past the services: the event gets a new version all the
        same (after its exceptions), so what is kept under the old one is not read."""
        from .services import event_changed

        super().save_related(request, form, formsets, change)
        event_changed(form.instance)


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["event", "occurrence_start", "user", "guest_email", "answer"]
    list_filter = ["answer", "waiting"]
    raw_id_fields = ["event", "user"]
