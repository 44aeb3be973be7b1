"""Web routes of the contacts (under /contacts/) and the directory (/directory/)."""

from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/new/", views.contact_create, name="create"),
    path("contacts/duplicates/", views.duplicates, name="duplicates"),
    path("contacts/merge/", views.contact_merge, name="merge"),
    path("contacts/import/", views.import_start, name="import_start"),
    path("contacts/import/<uuid:public_id>/", views.import_detail, name="import"),
    path("contacts/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("contacts/export.vcf", views.export, {"fmt": "vcard"}, name="export_vcard"),
    path("contacts/<uuid:public_id>/", views.contact_detail, name="detail"),
    path("contacts/<uuid:public_id>/edit/", views.contact_edit, name="edit"),
    path("contacts/<uuid:public_id>/history/", views.interaction_add, name="interact"),
    path("contacts/<uuid:public_id>/share/", views.contact_share, name="share"),
    path(
        "contacts/<uuid:public_id>/share/<uuid:member_id>/remove/",
        views.contact_unshare,
        name="unshare",
    ),
    path(
        "contacts/<uuid:public_id>/reassign/", views.contact_reassign, name="reassign"
    ),
    path("contacts/<uuid:public_id>/invite/", views.contact_invite, name="invite"),
    path("contacts/<uuid:public_id>/erase/", views.contact_erase, name="erase"),
    path("contacts/<uuid:public_id>/contact.vcf", views.contact_vcard, name="vcard"),
    path("directory/", views.directory, name="directory"),
    path("directory/<uuid:public_id>.vcf", views.member_vcard, name="member_vcard"),
]
