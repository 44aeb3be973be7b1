"""Admin views for support and moderation; every change still goes through the
services in the site itself."""

from django.contrib import admin

from .models import Conversation, Hashtag, Notification, Post, Report


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("pk", "author", "kind", "audience", "unit", "created", "hidden_at")
    list_filter = ("kind", "audience")
    search_fields = ("body",)
    raw_id_fields = ("author", "unit", "parent", "root", "shared", "hidden_by")
    raw_id_fields += ("audience_unit", "audience_group")
    readonly_fields = ("body_html",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("pk", "post", "reporter", "unit", "created", "resolved_at")
    raw_id_fields = ("post", "reporter", "unit", "resolved_by")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    # Message bodies are private: the admin lists conversations, not what they say.
    list_display = ("pk", "title", "is_group", "created", "last_message_at")


admin.site.register(Hashtag)
admin.site.register(Notification, list_display=("pk", "recipient", "kind", "created"))
