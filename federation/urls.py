from django.urls import path

from . import views

app_name = "federation"
urlpatterns = [
    path("units/", views.my_units, name="my_units"),
    path("units/<slug:slug>/", views.unit_detail, name="unit"),
    path("units/<slug:slug>/new/", views.unit_create_child, name="unit_create_child"),
    path("units/<slug:slug>/territory/", views.unit_territory, name="unit_territory"),
    path(
        "units/<slug:slug>/territory/<int:pk>/remove/",
        views.territory_remove,
        name="territory_remove",
    ),
    path("units/<slug:slug>/groups/new/", views.group_create, name="group_create"),
    path("groups/<slug:slug>/", views.group_detail, name="group"),
    path("groups/<slug:slug>/join/", views.group_join, name="group_join"),
    path("groups/<slug:slug>/leave/", views.group_leave, name="group_leave"),
    path(
        "groups/<slug:slug>/approve/<int:pk>/",
        views.group_approve,
        name="group_approve",
    ),
]
