"""REST endpoints of documents under /api/v1/: documents (list, search, detail with
the rendered text, create), saving a revision from a base revision (merged, or 409
with both versions), history, a revision's text, diffs, restore, comments,
amendments, files. Views parse, fetch through the policy, call one service."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Group, Unit

from . import selectors, services
from .models import Amendment, Comment, Document
from .serializers import (
    AmendmentSerializer,
    AmendmentWriteSerializer,
    AttachmentSerializer,
    CommentSerializer,
    CommentWriteSerializer,
    ConflictSerializer,
    DecideSerializer,
    DiffSerializer,
    DocumentCreateSerializer,
    DocumentDetailSerializer,
    DocumentSerializer,
    ResolveSerializer,
    RestoreSerializer,
    RevisionBodySerializer,
    RevisionSerializer,
    SaveResultSerializer,
    SaveSerializer,
    UploadSerializer,
)

PAGE = 100


def _document(request, public_id) -> Document:
    return access.get_visible_or_404(
        request.user,
        Document.objects.select_related(
            "unit", "group", "folder", "audience_unit", "audience_group"
        ),
        public_id=public_id,
    )


def _require(request, action, obj) -> None:
    if not access.can(request.user, action, obj):
        raise PermissionDenied(action)


def _number(raw, name: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ["Give a revision number."]}) from None
    if not 0 <= value <= 2**31:
        raise ValidationError({name: ["Give a revision number."]})
    return value


class DocumentList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, description="A unit's slug: its documents"),
            OpenApiParameter("group", str, description="A group's slug"),
            OpenApiParameter("q", str, description="Full-text search"),
        ],
        responses=DocumentSerializer(many=True),
    )
    def get(self, request):
        query = request.query_params.get("q", "").strip()
        if query:
            documents = selectors.search(request.user, query)
        else:
            documents = selectors.visible_documents(request.user)
            if request.query_params.get("unit"):
                documents = documents.filter(unit__slug=request.query_params["unit"])
            if request.query_params.get("group"):
                documents = documents.filter(group__slug=request.query_params["group"])
            documents = documents.order_by("-updated_at", "-pk")[:PAGE]
        return Response(DocumentSerializer(documents, many=True).data)

    @extend_schema(
        request=DocumentCreateSerializer, responses={201: DocumentDetailSerializer}
    )
    def post(self, request):
        if not request.user.is_authenticated:
            raise PermissionDenied
        data = DocumentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.get("group"):
            owner = Group.objects.filter(slug=fields.pop("group")).first()
            fields.pop("unit", None)
            name = "group"
        else:
            owner = Unit.objects.filter(slug=fields.pop("unit", "")).first()
            name = "unit"
        if owner is None:
            raise ValidationError({name: ["No such unit or group."]})
        if not access.can(request.user, "document.create", owner):
            raise PermissionDenied
        folder_name = fields.pop("folder", "").strip()
        folder = None
        if folder_name and isinstance(owner, Unit):
            folder = services.folder_create(
                by=request.user, unit=owner, name=folder_name
            )
        document = services.document_create(
            by=request.user, owner=owner, folder=folder, **fields
        )
        return Response(
            DocumentDetailSerializer(document).data, status=status.HTTP_201_CREATED
        )


class DocumentDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=DocumentDetailSerializer)
    def get(self, request, public_id):
        return Response(DocumentDetailSerializer(_document(request, public_id)).data)


class RevisionList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="Revisions before this one")
        ],
        responses=RevisionSerializer(many=True),
    )
    def get(self, request, public_id):
        document = _document(request, public_id)
        _require(request, "document.history.view", document)
        revisions = document.revisions.select_related("author", "amendment").defer(
            "snapshot", "delta"
        )
        if request.query_params.get("before"):
            revisions = revisions.filter(
                number__lt=_number(request.query_params["before"], "before")
            )
        return Response(
            RevisionSerializer(revisions.order_by("-number")[:PAGE], many=True).data
        )

    @extend_schema(
        request=SaveSerializer,
        responses={201: SaveResultSerializer, 409: ConflictSerializer},
        description=(
            "Save the text written from `base_revision`. If others saved since, the "
            "changes are merged (merged: true); where they overlap nothing is saved "
            "and 409 gives the text with both versions to resolve."
        ),
    )
    def post(self, request, public_id):
        document = _document(request, public_id)
        data = SaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.document_save(
            by=request.user, document=document, **data.validated_data
        )
        if result.conflict:
            return Response(
                {
                    "detail": "Others changed the same passages: resolve and save "
                    "again from base_revision.",
                    "merged_text": result.text,
                    "base_revision": result.base_number,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "revision": RevisionSerializer(result.revision).data,
                "merged": result.merged,
            },
            status=status.HTTP_201_CREATED,
        )


class RevisionDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=RevisionBodySerializer)
    def get(self, request, public_id, number):
        document = _document(request, public_id)
        _require(request, "document.history.view", document)
        revision = get_object_or_404(
            document.revisions.select_related("author", "amendment"), number=number
        )
        revision.body = services.revision_body(revision)
        return Response(RevisionBodySerializer(revision).data)


class RevisionDiff(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True),
            OpenApiParameter("to", int, required=True),
        ],
        responses=DiffSerializer,
    )
    def get(self, request, public_id):
        document = _document(request, public_id)
        _require(request, "document.history.view", document)
        a = _number(request.query_params.get("from"), "from")
        b = _number(request.query_params.get("to"), "to")
        hunks = services.revisions_diff(document, a, b)
        return Response(
            {
                "from_revision": a,
                "to_revision": b,
                "hunks": [{"op": h.op, "text": h.text} for h in hunks],
            }
        )


class RevisionRestore(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RestoreSerializer, responses={201: RevisionSerializer})
    def post(self, request, public_id):
        document = _document(request, public_id)
        data = RestoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revision = services.revision_restore(
            by=request.user, document=document, number=data.validated_data["revision"]
        )
        return Response(
            RevisionSerializer(revision).data, status=status.HTTP_201_CREATED
        )


class CommentList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request, public_id):
        document = _document(request, public_id)
        comments = document.comments.select_related("author").order_by("pk")[:500]
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(request=CommentWriteSerializer, responses={201: CommentSerializer})
    def post(self, request, public_id):
        document = _document(request, public_id)
        data = CommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        parent = None
        if "parent" in fields:
            parent = document.comments.filter(pk=fields.pop("parent")).first()
            if parent is None:
                raise ValidationError({"parent": ["No such comment on this document."]})
        comment = services.comment_create(
            by=request.user, document=document, parent=parent, **fields
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentResolve(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResolveSerializer, responses=CommentSerializer)
    def post(self, request, pk):
        comment = get_object_or_404(
            Comment.objects.filter(
                access.visible_filter(request.user, "document__")
            ).select_related("document__unit", "document__group", "parent"),
            pk=pk,
        )
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_resolve(
            by=request.user, comment=comment, resolved=data.validated_data["resolved"]
        )
        return Response(CommentSerializer(comment).data)


class AmendmentList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=AmendmentSerializer(many=True))
    def get(self, request, public_id):
        document = _document(request, public_id)
        amendments = document.amendments.select_related("author", "on_behalf_of")[:1000]
        return Response(AmendmentSerializer(amendments, many=True).data)

    @extend_schema(
        request=AmendmentWriteSerializer, responses={201: AmendmentSerializer}
    )
    def post(self, request, public_id):
        document = _document(request, public_id)
        data = AmendmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.amendment_propose(
            by=request.user, document=document, **data.validated_data
        )
        return Response(
            AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED
        )


class AmendmentDecide(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DecideSerializer, responses=AmendmentSerializer)
    def post(self, request, public_id):
        amendment = get_object_or_404(
            Amendment.objects.filter(
                access.visible_filter(request.user, "document__")
            ).select_related("document__unit", "document__group"),
            public_id=public_id,
        )
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.amendment_decide(
            by=request.user, amendment=amendment, status=data.validated_data["status"]
        )
        return Response(AmendmentSerializer(amendment).data)


class AttachmentList(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request, public_id):
        document = _document(request, public_id)
        return Response(
            AttachmentSerializer(document.attachments.all()[:100], many=True).data
        )

    @extend_schema(request=UploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request, public_id):
        document = _document(request, public_id)
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_upload(
            by=request.user, document=document, upload=data.validated_data["file"]
        )
        return Response(
            AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED
        )
