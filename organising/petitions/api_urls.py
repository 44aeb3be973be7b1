"""API routes of petitions, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("petitions/", api.PetitionList.as_view(), name="api-petitions"),
    path(
        "petitions/confirm/",
        api.SignatureConfirm.as_view(),
        name="api-petition-confirm",
    ),
    path(
        "petitions/withdraw/",
        api.SignatureWithdraw.as_view(),
        name="api-petition-withdraw",
    ),
    path("petitions/<slug:slug>/", api.PetitionDetail.as_view(), name="api-petition"),
    path(
        "petitions/<slug:slug>/sign/",
        api.PetitionSign.as_view(),
        name="api-petition-sign",
    ),
    path(
        "petitions/<slug:slug>/status/",
        api.PetitionStatus.as_view(),
        name="api-petition-status",
    ),
    path(
        "petitions/<slug:slug>/signers/",
        api.PetitionSigners.as_view(),
        name="api-petition-signers",
    ),
    path(
        "petitions/<slug:slug>/signatures/",
        api.PetitionSignatures.as_view(),
        name="api-petition-signatures",
    ),
    path(
        "petitions/<slug:slug>/activity/",
        api.PetitionActivity.as_view(),
        name="api-petition-activity",
    ),
]
