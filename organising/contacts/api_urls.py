"""API routes of the contacts and the directory, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("directory/", api.Directory.as_view(), name="api-directory"),
    path("contacts/", api.ContactList.as_view(), name="api-contacts"),
    path("contacts/merge/", api.ContactMerge.as_view(), name="api-contacts-merge"),
    path(
        "contacts/duplicates/",
        api.ContactDuplicates.as_view(),
        name="api-contacts-duplicates",
    ),
    path("contacts/export/", api.ContactExport.as_view(), name="api-contacts-export"),
    path("contacts/imports/", api.ImportCreate.as_view(), name="api-contacts-imports"),
    path(
        "contacts/imports/<uuid:public_id>/",
        api.ImportDetail.as_view(),
        name="api-contacts-import",
    ),
    path(
        "contacts/imports/<uuid:public_id>/apply/",
        api.ImportApply.as_view(),
        name="api-contacts-import-apply",
    ),
    path("contacts/<uuid:public_id>/", api.ContactDetail.as_view(), name="api-contact"),
    path(
        "contacts/<uuid:public_id>/interactions/",
        api.ContactInteractions.as_view(),
        name="api-contact-interactions",
    ),
    path(
        "contacts/<uuid:public_id>/share/",
        api.ContactShare.as_view(),
        name="api-contact-share",
    ),
    path(
        "contacts/<uuid:public_id>/reassign/",
        api.ContactReassign.as_view(),
        name="api-contact-reassign",
    ),
]
