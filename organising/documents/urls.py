"""Web routes of documents, mounted under /documents/."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<slug:slug>/", views.unit_documents, name="unit"),
    path("groups/<slug:slug>/", views.group_documents, name="group"),
    path("new/", views.create, name="create"),
    path("<uuid:public_id>/", views.document, name="document"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/settings/", views.settings_edit, name="settings"),
    path("<uuid:public_id>/history/", views.history, name="history"),
    path("<uuid:public_id>/diff/", views.diff, name="diff"),
    path("<uuid:public_id>/revisions/<int:number>/", views.revision, name="revision"),
    path("<uuid:public_id>/restore/", views.restore, name="restore"),
    path("<uuid:public_id>/comments/", views.comment, name="comment"),
    path("comments/<int:pk>/reply/", views.reply, name="reply"),
    path("comments/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<uuid:public_id>/files/", views.upload, name="upload"),
    path("files/<uuid:public_id>/", views.file, name="file"),
    path("files/<uuid:public_id>/delete/", views.file_delete, name="file_delete"),
    path("<uuid:public_id>/amendments/", views.amendments, name="amendments"),
    path("<uuid:public_id>/amended/", views.amended, name="amended"),
    path(
        "amendments/<uuid:public_id>/decide/",
        views.amendment_decide,
        name="amendment_decide",
    ),
    path(
        "amendments/<uuid:public_id>/submit/",
        views.amendment_submit,
        name="amendment_submit",
    ),
]
