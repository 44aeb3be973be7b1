from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.Me.as_view(), name="api-me"),
    path(
        "units/<slug:slug>/members/", api.UnitMembers.as_view(), name="api-unit-members"
    ),
    path(
        "units/<slug:slug>/offices/", api.UnitOffices.as_view(), name="api-unit-offices"
    ),
    path(
        "units/<slug:slug>/offices/<int:pk>/end/",
        api.UnitOfficeEnd.as_view(),
        name="api-unit-office-end",
    ),
    path("invitations/", api.Invitations.as_view(), name="api-invitations"),
    path(
        "memberships/<uuid:public_id>/transfer/",
        api.MembershipTransfer.as_view(),
        name="api-membership-transfer",
    ),
    path(
        "memberships/<uuid:public_id>/end/",
        api.MembershipEnd.as_view(),
        name="api-membership-end",
    ),
    path("tokens/", api.Tokens.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", api.TokenRevoke.as_view(), name="api-token"),
]
