"""Web routes of petitions, mounted under /petitions/."""

from django.urls import path

from . import views

app_name = "petitions"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<slug:slug>/", views.unit_petitions, name="unit"),
    path("units/<slug:slug>/new/", views.petition_create, name="create"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("<slug:slug>/", views.public, name="public"),
    path("<slug:slug>/sign/", views.sign, name="sign"),
    path("<slug:slug>/count/", views.count, name="count"),
    path("<slug:slug>/signers/", views.signers, name="signers"),
    path("<slug:slug>/embed/", views.embed, name="embed"),
    path("<slug:slug>/badge.svg", views.badge, name="badge"),
    path("<slug:slug>/manage/", views.manage, name="manage"),
    path("<slug:slug>/edit/", views.petition_edit, name="edit"),
    path("<slug:slug>/status/", views.petition_status, name="status"),
    path("<slug:slug>/signatures/", views.signatures, name="signatures"),
    path("<slug:slug>/signatures.csv", views.export, name="export"),
]
