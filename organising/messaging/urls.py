"""Web pages of messaging. The member's home timeline is at /timeline/."""

from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("timeline/", views.home, name="home"),
    path("timeline/public/", views.public, name="public"),
    path("timeline/units/<slug:slug>/", views.unit_timeline, name="unit"),
    path("timeline/groups/<slug:slug>/", views.group_timeline, name="group"),
    path("timeline/tags/<str:name>/", views.hashtag, name="hashtag"),
    path("timeline/people/<uuid:public_id>/", views.member, name="member"),
    path("timeline/people/<uuid:public_id>/relation/", views.relation, name="relation"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/reports/", views.reports, name="reports"),
    path(
        "posts/reports/<int:pk>/resolve/", views.report_resolve, name="report_resolve"
    ),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/reply/", views.post_reply, name="post_reply"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("posts/<int:pk>/hide/", views.post_hide, name="post_hide"),
    path("posts/<int:pk>/unhide/", views.post_unhide, name="post_unhide"),
    path("posts/<int:pk>/report/", views.post_report, name="post_report"),
    path("posts/<int:pk>/react/", views.post_react, name="post_react"),
    path("posts/<int:pk>/boost/", views.post_boost, name="post_boost"),
    path("posts/<int:pk>/relay/", views.post_relay, name="post_relay"),
    path("posts/<int:pk>/images/<int:image>/", views.post_image, name="post_image"),
    path("messages/", views.conversations, name="conversations"),
    path("messages/new/", views.conversation_new, name="conversation_new"),
    path("messages/<int:pk>/", views.conversation, name="conversation"),
    path("messages/<int:pk>/read/", views.conversation_read, name="conversation_read"),
    path(
        "messages/<int:pk>/leave/", views.conversation_leave, name="conversation_leave"
    ),
    path("messages/<int:pk>/add/", views.conversation_add, name="conversation_add"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/settings/",
        views.notification_settings,
        name="notification_settings",
    ),
]
