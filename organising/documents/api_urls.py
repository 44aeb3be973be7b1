"""API routes of documents, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("documents/", api.DocumentList.as_view(), name="api-documents"),
    path(
        "documents/<uuid:public_id>/", api.DocumentDetail.as_view(), name="api-document"
    ),
    path(
        "documents/<uuid:public_id>/revisions/",
        api.RevisionList.as_view(),
        name="api-document-revisions",
    ),
    path(
        "documents/<uuid:public_id>/revisions/<int:number>/",
        api.RevisionDetail.as_view(),
        name="api-document-revision",
    ),
    path(
        "documents/<uuid:public_id>/diff/",
        api.RevisionDiff.as_view(),
        name="api-document-diff",
    ),
    path(
        "documents/<uuid:public_id>/restore/",
        api.RevisionRestore.as_view(),
        name="api-document-restore",
    ),
    path(
        "documents/<uuid:public_id>/comments/",
        api.CommentList.as_view(),
        name="api-document-comments",
    ),
    path(
        "document-comments/<int:pk>/resolve/",
        api.CommentResolve.as_view(),
        name="api-document-comment-resolve",
    ),
    path(
        "documents/<uuid:public_id>/amendments/",
        api.AmendmentList.as_view(),
        name="api-document-amendments",
    ),
    path(
        "amendments/<uuid:public_id>/decide/",
        api.AmendmentDecide.as_view(),
        name="api-amendment-decide",
    ),
    path(
        "documents/<uuid:public_id>/files/",
        api.AttachmentList.as_view(),
        name="api-document-files",
    ),
]
