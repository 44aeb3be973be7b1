"""API routes of the messaging capability, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("timelines/home/", api.HomeTimeline.as_view(), name="api-timeline-home"),
    path("timelines/public/", api.PublicTimeline.as_view(), name="api-timeline-public"),
    path(
        "timelines/units/<slug:slug>/",
        api.UnitTimeline.as_view(),
        name="api-timeline-unit",
    ),
    path(
        "timelines/groups/<slug:slug>/",
        api.GroupTimeline.as_view(),
        name="api-timeline-group",
    ),
    path(
        "timelines/tags/<str:name>/",
        api.HashtagTimeline.as_view(),
        name="api-timeline-tag",
    ),
    path(
        "timelines/members/<uuid:public_id>/",
        api.MemberTimeline.as_view(),
        name="api-timeline-member",
    ),
    path("posts/", api.PostList.as_view(), name="api-posts"),
    path("posts/<int:pk>/", api.PostDetail.as_view(), name="api-post"),
    path(
        "posts/<int:pk>/reactions/",
        api.PostReactions.as_view(),
        name="api-post-reactions",
    ),
    path(
        "posts/<int:pk>/reactions/<str:kind>/",
        api.PostReaction.as_view(),
        name="api-post-reaction",
    ),
    path("posts/<int:pk>/relay/", api.PostRelay.as_view(), name="api-post-relay"),
    path("posts/<int:pk>/boost/", api.PostBoost.as_view(), name="api-post-boost"),
    path("posts/<int:pk>/report/", api.PostReport.as_view(), name="api-post-report"),
    path("posts/<int:pk>/hide/", api.PostHide.as_view(), name="api-post-hide"),
    path("relations/", api.Relations.as_view(), name="api-relations"),
    path(
        "relations/<str:kind>/<uuid:public_id>/",
        api.RelationDetail.as_view(),
        name="api-relation",
    ),
    path("conversations/", api.ConversationList.as_view(), name="api-conversations"),
    path(
        "conversations/<int:pk>/",
        api.ConversationDetail.as_view(),
        name="api-conversation",
    ),
    path(
        "conversations/<int:pk>/messages/",
        api.ConversationMessages.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:pk>/read/",
        api.ConversationRead.as_view(),
        name="api-conversation-read",
    ),
    path(
        "conversations/<int:pk>/leave/",
        api.ConversationLeave.as_view(),
        name="api-conversation-leave",
    ),
    path("notifications/", api.NotificationList.as_view(), name="api-notifications"),
    path(
        "notifications/read/",
        api.NotificationRead.as_view(),
        name="api-notifications-read",
    ),
    path("notifications/counts/", api.Counts.as_view(), name="api-counts"),
    path(
        "notifications/settings/",
        api.NotificationSettingsView.as_view(),
        name="api-notification-settings",
    ),
]
