"""The members API: me, unit members for officers, offices, invitations, transfers,
tokens."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Unit

from . import selectors, services
from .models import User
from .serializers import (
    InvitationCreateSerializer,
    InvitationSerializer,
    MemberRowSerializer,
    MembershipSerializer,
    MeSerializer,
    OfficeAssignSerializer,
    OfficeSerializer,
    TokenSerializer,
    TransferSerializer,
)


class Me(APIView):
    """My profile, memberships (with periods) and current roles."""

    # JSON only: an empty or malformed form body would read as "change nothing".
    parser_classes = [JSONParser]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.prefetch_related("memberships__unit", "roles__unit").get(
            pk=request.user.pk
        )
        return Response(MeSerializer(user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {
            key: value
            for key, value in serializer.validated_data.items()
            if key not in ("memberships", "roles")
        }
        services.profile_update(user=request.user, **fields)
        return self.get(request)


class UnitMembers(APIView):
    """Members of a unit and the units below it, for the unit's officers."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("status", str, enum=["adherent", "sympathiser", "former"]),
            OpenApiParameter("after", str, description="The `next` cursor of a page"),
        ],
        responses=inline_serializer(
            "MemberPage",
            {
                "results": MemberRowSerializer(many=True),
                "next": serializers.CharField(allow_null=True),
            },
        ),
    )
    def get(self, request, slug: str):
        unit = access.get_for_action_or_404(
            request.user, "unit.members.view", Unit, slug=slug
        )
        page = selectors.unit_members(
            unit=unit,
            query=request.query_params.get("q", ""),
            status=request.query_params.get("status", ""),
            after=request.query_params.get("after"),
        )
        services.personal_data_access_record(
            by=request.user, unit=unit, kind="view", count=len(page.items)
        )
        return Response(
            {
                "results": MemberRowSerializer(page.items, many=True).data,
                "next": page.next_cursor,
            }
        )


class Invitations(APIView):
    """Invite a person into a cell by e-mail (secretaries of the cell or above)."""

    @extend_schema(
        request=InvitationCreateSerializer, responses={201: InvitationSerializer}
    )
    def post(self, request):
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _secret = services.invitation_create(
            by=request.user, **serializer.validated_data
        )
        return Response(
            InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class MembershipTransfer(APIView):
    """Move a member to another cell; the secretary must administer both cells."""

    @extend_schema(request=TransferSerializer, responses={201: MembershipSerializer})
    def post(self, request, public_id):
        membership = access.membership_in_scope_or_404(
            request.user, "member.transfer", public_id
        )
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.membership_transfer(
            member=membership.user,
            to_cell=serializer.validated_data["to_cell"],
            by=request.user,
        )
        return Response(MembershipSerializer(new).data, status=status.HTTP_201_CREATED)


class MembershipEnd(APIView):
    """Mark a member as former (their sessions and tokens are cut)."""

    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request, public_id):
        membership = access.membership_in_scope_or_404(
            request.user, "member.end", public_id
        )
        ended = services.membership_end(member=membership.user, by=request.user)
        return Response(MembershipSerializer(ended).data)


class UnitOffices(APIView):
    """The offices held at a unit (current members read them, as on the unit's
    page); POST gives one to an adherent of the unit or below (its secretaries and
    those above: `member.role`)."""

    @extend_schema(responses=OfficeSerializer(many=True))
    def get(self, request, slug: str):
        unit = access.get_for_action_or_404(
            request.user, "unit.officers.view", Unit, slug=slug
        )
        offices = (
            unit.roles.filter(ended_on__isnull=True)
            .select_related("user", "unit")
            .order_by("kind", "user__display_name", "pk")
        )
        return Response(OfficeSerializer(offices, many=True).data)

    @extend_schema(
        request=OfficeAssignSerializer,
        responses={
            201: OfficeSerializer,
            200: OpenApiResponse(OfficeSerializer, description="Already held"),
        },
    )
    def post(self, request, slug: str):
        unit = access.get_for_action_or_404(
            request.user, "member.role", Unit, slug=slug
        )
        serializer = OfficeAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = User.objects.filter(public_id=data["member"], is_active=True).first()
        if member is None:
            # The service's words for a member elsewhere: ids do not leak.
            raise ValidationError(
                {
                    "member": [
                        _(
                            "Only an adherent of this unit or below can hold its "
                            "offices."
                        )
                    ]
                }
            )
        held = unit.roles.filter(user=member, kind=data["kind"], ended_on__isnull=True)
        existed = held.exists()
        role = services.role_assign(
            member=member, unit=unit, kind=data["kind"], by=request.user
        )
        return Response(
            OfficeSerializer(role).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class UnitOfficeEnd(APIView):
    """End an office held at the unit, today (its secretaries and those above)."""

    @extend_schema(request=None, responses=OfficeSerializer)
    def post(self, request, slug: str, pk: int):
        unit = access.get_for_action_or_404(
            request.user, "member.role", Unit, slug=slug
        )
        role = get_object_or_404(unit.roles.select_related("user", "unit"), pk=pk)
        ended = services.role_end(role=role, by=request.user)
        return Response(OfficeSerializer(ended).data)


class Tokens(APIView):
    """My personal API tokens; creating one returns its secret once."""

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        return Response(TokenSerializer(request.user.api_tokens.all(), many=True).data)

    @extend_schema(
        request=TokenSerializer,
        responses={
            201: inline_serializer(
                "NewToken",
                {"token": TokenSerializer(), "secret": serializers.CharField()},
            )
        },
    )
    def post(self, request):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.token_create(
            user=request.user, name=serializer.validated_data["name"]
        )
        return Response(
            {"token": TokenSerializer(token).data, "secret": secret},
            status=status.HTTP_201_CREATED,
        )


class TokenRevoke(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        token = get_object_or_404(request.user.api_tokens, pk=pk)
        services.token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
