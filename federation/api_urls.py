from django.urls import path

from . import api

urlpatterns = [
    path("units/", api.UnitList.as_view(), name="api-units"),
    path("units/<slug:slug>/", api.UnitDetail.as_view(), name="api-unit"),
]
