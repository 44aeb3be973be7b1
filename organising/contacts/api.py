"""REST endpoints of the contacts and the member directory under /api/v1/. Views
parse, fetch through the policy (another unit's ids answer 404), call one service."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Group, Unit
from members.models import User

from . import imports, selectors, services
from .models import Contact, ContactImport
from .serializers import (
    ContactCreateSerializer,
    ContactDetailSerializer,
    ContactDuplicateSerializer,
    ContactFieldsSerializer,
    ContactImportCreateSerializer,
    ContactImportSerializer,
    ContactSerializer,
    DirectoryMemberSerializer,
    InteractionSerializer,
    MemberChoiceSerializer,
    MergeSerializer,
)

QUERY = OpenApiParameter(
    "q", str, description="Search: name, e-mail start, phone digits"
)
TAG = OpenApiParameter("tag", str, description="Only contacts with this tag")
UNIT = OpenApiParameter("unit", str, description="A unit's slug: that unit and below")
AFTER = OpenApiParameter(
    "after", str, description="The `next` cursor of the page before"
)
SCOPE = OpenApiParameter(
    "scope", str, description="unit:<slug> or group:<slug> (default: one's home cell)"
)


def _page(serializer_class, rows, cursor, **context) -> dict:
    return {
        "results": serializer_class(rows, many=True, context=context).data,
        "next": cursor or None,
    }


def _paged(name: str, item):
    return inline_serializer(
        name=name,
        fields={
            "results": item(many=True),
            "next": serializers.CharField(allow_null=True),
        },
    )


def _unit_param(request, action: str, *, required: bool = True) -> Unit | None:
    slug = request.query_params.get("unit") or ""
    if not slug:
        if required:
            raise ValidationError({"unit": ["Give a unit's slug."]})
        return None
    unit = Unit.objects.filter(slug=slug).first()
    if unit is None or not access.can(request.user, action, unit):
        raise ValidationError({"unit": ["No such unit among yours."]})
    return unit


def _contact(request, public_id, action: str = "contact.view") -> Contact:
    return access.contact_for_action_or_404(request.user, action, public_id)


def _member(public_id) -> User | None:
    if public_id is None:
        return None
    member = User.objects.filter(public_id=public_id, is_active=True).first()
    if member is None:
        raise ValidationError({"member": ["No such member."]})
    return member


def _fields(data: dict) -> dict:
    fields = {name: data[name] for name in services.EDITABLE_FIELDS if name in data}
    return fields


class ContactList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_list",
        parameters=[QUERY, TAG, UNIT, AFTER],
        responses=_paged("ContactPage", ContactSerializer),
    )
    def get(self, request):
        if not access.can(request.user, "contact.list"):
            raise Http404
        unit = None
        if request.query_params.get("unit"):
            unit = Unit.objects.filter(slug=request.query_params["unit"]).first()
            if unit is None:
                raise ValidationError({"unit": ["No such unit."]})
        rows, cursor = selectors.contacts_search(
            request.user,
            query=request.query_params.get("q", "")[:100],
            tag=request.query_params.get("tag", "")[:40],
            unit=unit,
            after=request.query_params.get("after", ""),
        )
        services.contacts_read_record(
            by=request.user, unit=unit, what="contacts.api", count=len(rows)
        )
        return Response(_page(ContactSerializer, rows, cursor))

    @extend_schema(
        operation_id="v1_contacts_create",
        request=ContactCreateSerializer,
        responses={
            201: ContactDetailSerializer,
            202: inline_serializer(
                "ContactMerged", {"merged": serializers.BooleanField()}
            ),
        },
    )
    def post(self, request):
        data = ContactCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        unit = Unit.objects.filter(slug=values["unit"]).first()
        if unit is None or not access.can(request.user, "contact.create", unit):
            raise ValidationError({"unit": ["No such unit among yours."]})
        contact = services.contact_create(
            unit=unit,
            by=request.user,
            consent_source=values["consent_source"],
            consent_covers=set(values["consent_covers"]),
            consent_at=values.get("consent_at"),
            **_fields(values),
        )
        if not access.can(request.user, "contact.view", contact):
            # Merged by e-mail into a contact another member follows: hidden.
            return Response({"merged": True}, status=status.HTTP_202_ACCEPTED)
        return Response(
            ContactDetailSerializer(contact).data, status=status.HTTP_201_CREATED
        )


class ContactDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_retrieve", responses=ContactDetailSerializer
    )
    def get(self, request, public_id):
        return Response(ContactDetailSerializer(_contact(request, public_id)).data)

    @extend_schema(
        operation_id="v1_contacts_partial_update",
        request=ContactFieldsSerializer,
        responses=ContactDetailSerializer,
    )
    def patch(self, request, public_id):
        contact = _contact(request, public_id, "contact.edit")
        data = ContactFieldsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_update(
            contact=contact, by=request.user, **_fields(data.validated_data)
        )
        return Response(ContactDetailSerializer(contact).data)

    @extend_schema(operation_id="v1_contacts_destroy", responses={204: None})
    def delete(self, request, public_id):
        """Erase the contact and its whole history (the person withdrew)."""
        contact = _contact(request, public_id, "contact.erase")
        services.contact_erase(contact=contact, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactInteractions(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_interactions_list",
        responses=InteractionSerializer(many=True),
    )
    def get(self, request, public_id):
        contact = _contact(request, public_id)
        rows = contact.interactions.select_related("by").order_by("-at", "-pk")[:200]
        return Response(InteractionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_contacts_interactions_create",
        request=InteractionSerializer,
        responses={201: InteractionSerializer},
    )
    def post(self, request, public_id):
        contact = _contact(request, public_id, "contact.interact")
        data = InteractionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = services.interaction_add(
            contact=contact, by=request.user, **data.validated_data
        )
        return Response(
            InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED
        )


class ContactShare(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_share",
        request=MemberChoiceSerializer,
        responses=ContactDetailSerializer,
    )
    def post(self, request, public_id):
        contact = _contact(request, public_id, "contact.share")
        data = MemberChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = _member(data.validated_data["member"])
        if member is None:
            raise ValidationError({"member": ["Choose a member."]})
        services.contact_share(contact=contact, member=member, by=request.user)
        return Response(ContactDetailSerializer(contact).data)


class ContactReassign(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_reassign",
        request=MemberChoiceSerializer,
        responses=ContactDetailSerializer,
    )
    def post(self, request, public_id):
        contact = _contact(request, public_id, "contact.reassign")
        data = MemberChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = _member(data.validated_data["member"])
        contact = services.contact_reassign(
            contact=contact, follower=member, by=request.user
        )
        return Response(ContactDetailSerializer(contact).data)


class ContactMerge(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_merge",
        request=MergeSerializer,
        responses=ContactDetailSerializer,
    )
    def post(self, request):
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keep = _contact(request, data.validated_data["keep"], "contact.merge")
        other = _contact(request, data.validated_data["other"], "contact.merge")
        kept = services.contact_merge(keep=keep, other=other, by=request.user)
        return Response(ContactDetailSerializer(kept).data)


class ContactDuplicates(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_duplicates",
        parameters=[OpenApiParameter("unit", str, required=True)],
        responses=ContactDuplicateSerializer(many=True),
    )
    def get(self, request):
        unit = _unit_param(request, "contact.import")
        pairs = selectors.duplicates_in(request.user, unit)
        services.contacts_read_record(
            by=request.user, unit=unit, what="contacts.duplicates", count=2 * len(pairs)
        )
        return Response(ContactDuplicateSerializer(pairs, many=True).data)


class ContactExport(APIView):
    permission_classes = [IsAuthenticated]

    def perform_content_negotiation(self, request, force=False):
        """`?format=` names the file (csv, vcard), not one of DRF's renderers (which
        would answer 404 to every method): answers other than the file are JSON."""
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="v1_contacts_export",
        parameters=[
            OpenApiParameter("unit", str, required=True),
            OpenApiParameter("format", str, enum=["csv", "vcard"]),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            (200, "text/vcard"): OpenApiResponse(OpenApiTypes.STR),
        },
    )
    def get(self, request):
        unit = _unit_param(request, "contact.export")
        fmt = request.query_params.get("format", "csv")
        if fmt not in ("csv", "vcard"):
            raise ValidationError({"format": ["csv or vcard."]})
        return imports.export_response(by=request.user, unit=unit, fmt=fmt)


class ImportCreate(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_contacts_imports_create",
        request={"multipart/form-data": ContactImportCreateSerializer},
        responses={201: ContactImportSerializer},
    )
    def post(self, request):
        data = ContactImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        unit = Unit.objects.filter(slug=values["unit"]).first()
        if unit is None or not access.can(request.user, "contact.import", unit):
            raise ValidationError({"unit": ["No such unit among yours."]})
        upload = values["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError({"file": ["The file is too large (20 MB at most)."]})
        batch = imports.import_create(
            unit=unit,
            by=request.user,
            filename=upload.name,
            content=upload.read(),
            format=values["format"],
            encoding=values["encoding"],
            consent_source=values["consent_source"],
            consent_covers=set(values["consent_covers"]),
            consent_at=values.get("consent_at") or timezone.now(),
        )
        return Response(
            ContactImportSerializer(batch).data, status=status.HTTP_201_CREATED
        )


def _import(request, public_id) -> ContactImport:
    batch = (
        ContactImport.objects.select_related("unit").filter(public_id=public_id).first()
    )
    if batch is None or not access.can(request.user, "contact.import", batch.unit):
        raise Http404
    return batch


class ImportDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_imports_retrieve", responses=ContactImportSerializer
    )
    def get(self, request, public_id):
        return Response(ContactImportSerializer(_import(request, public_id)).data)


class ImportApply(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_contacts_imports_apply",
        request=None,
        responses=ContactImportSerializer,
    )
    def post(self, request, public_id):
        batch = imports.import_apply_start(
            batch=_import(request, public_id), by=request.user
        )
        return Response(ContactImportSerializer(batch).data)


class Directory(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_directory_list",
        parameters=[
            SCOPE,
            OpenApiParameter("q", str, description="Name, or commune where shown"),
            AFTER,
        ],
        responses=_paged("DirectoryPage", DirectoryMemberSerializer),
    )
    def get(self, request):
        scopes = [
            s
            for s in selectors.directory_scopes(request.user)
            if access.can(request.user, "directory.view", s)
        ]
        key = request.query_params.get("scope", "")
        scope = scopes[0] if scopes and not key else None
        for candidate in scopes:
            kind = "group" if isinstance(candidate, Group) else "unit"
            if f"{kind}:{candidate.slug}" == key:
                scope = candidate
        if scope is None:
            if key:
                raise ValidationError({"scope": ["No such unit or group among yours."]})
            raise Http404
        members, cursor = selectors.directory_members(
            scope,
            query=request.query_params.get("q", "")[:100],
            after=request.query_params.get("after", ""),
        )
        rows = [{"id": m.public_id, **selectors.shown_fields(m)} for m in members]
        return Response(
            {
                "results": DirectoryMemberSerializer(rows, many=True).data,
                "next": cursor or None,
            }
        )
