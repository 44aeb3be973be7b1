from django.urls import path

from . import views, welcome_views

app_name = "members"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("welcome/", welcome_views.welcome, name="welcome"),
    path(
        "welcome/password/<str:uidb36>/<str:key>/",
        welcome_views.welcome_password,
        name="welcome_password",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("me/", views.profile, name="profile"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("me/tokens/revoke-all/", views.tokens_revoke_all, name="tokens_revoke_all"),
    path("me/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("members/<uuid:public_id>/avatar/", views.member_avatar, name="member_avatar"),
    path(
        "members/<uuid:public_id>/transfer/",
        views.member_transfer,
        name="member_transfer",
    ),
    path("members/<uuid:public_id>/end/", views.member_end, name="member_end"),
    path("admin-units/", views.admin_home, name="admin_home"),
    path(
        "applications/<int:pk>/decide/",
        views.application_decide,
        name="application_decide",
    ),
    path("units/<slug:slug>/members/", views.unit_members, name="unit_members"),
    path(
        "units/<slug:slug>/members.csv",
        views.unit_members_export,
        name="unit_members_export",
    ),
    path("units/<slug:slug>/invite/", views.unit_invite, name="unit_invite"),
    path("units/<slug:slug>/offices/", views.unit_role_assign, name="role_assign"),
    path(
        "units/<slug:slug>/offices/<int:pk>/end/",
        views.unit_role_end,
        name="role_end",
    ),
    path("units/<slug:slug>/audit/", views.unit_audit, name="unit_audit"),
]
