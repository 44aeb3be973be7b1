"""REST endpoints of petitions under /api/v1/: reading a petition, its signers and
signing need no account; confirming and withdrawing take the e-mailed secret; the
officers' endpoints (create, edit, open and close, signatures, activity) need one.
Views parse, fetch through the policy, call one service."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Unit
from organising import ratelimits

from . import selectors, services
from .models import Petition
from .serializers import (
    ActivitySerializer,
    ConfirmedSerializer,
    PetitionCreateSerializer,
    PetitionMessageSerializer,
    PetitionOfficerSerializer,
    PetitionSerializer,
    PetitionWriteSerializer,
    SignaturePageSerializer,
    SignatureSerializer,
    SignatureTokenSerializer,
    SignerSerializer,
    SignSerializer,
    StatusSerializer,
)


def _petition(request, slug) -> Petition:
    petition = get_object_or_404(Petition.objects.select_related("unit"), slug=slug)
    if not access.can(request.user, "petition.view", petition):
        raise Http404
    return petition


def _for_action(request, slug, action: str) -> Petition:
    petition = _petition(request, slug)
    if not access.can(request.user, action, petition):
        raise PermissionDenied
    return petition


def _token_errors(error: DjangoValidationError):
    """A link's problem as a 400 naming the field (`token`, or `petition` when the
    petition closed meanwhile)."""
    field = "petition" if error.code == "closed" else "token"
    return ValidationError({field: error.messages})


class PetitionList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("unit", str, required=True)],
        responses=PetitionOfficerSerializer(many=True),
    )
    def get(self, request):
        """A unit's petitions (its officers and those above; at most 200)."""
        slug = request.query_params.get("unit")
        if not slug:
            raise ValidationError({"unit": [_("Give a unit's slug.")]})
        unit = get_object_or_404(Unit, slug=slug)
        if not access.can(request.user, "petition.list", unit):
            raise PermissionDenied
        rows = Petition.objects.filter(unit=unit).select_related("unit")
        rows = rows.order_by("-created_at", "-pk")[:200]
        return Response(PetitionOfficerSerializer(rows, many=True).data)

    @extend_schema(
        request=PetitionCreateSerializer, responses={201: PetitionOfficerSerializer}
    )
    def post(self, request):
        """Create a petition of a unit (a draft until opened)."""
        data = PetitionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        unit = Unit.objects.filter(slug=fields.pop("unit")).first()
        if unit is None:
            raise ValidationError({"unit": [_("No such unit.")]})
        petition = services.petition_create(by=request.user, unit=unit, **fields)
        return Response(
            PetitionOfficerSerializer(petition).data, status=status.HTTP_201_CREATED
        )


class PetitionDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=PetitionSerializer)
    def get(self, request, slug):
        """A petition, with its confirmed count (anyone, while it is open or
        closed)."""
        return Response(PetitionSerializer(_petition(request, slug)).data)

    @extend_schema(
        request=PetitionWriteSerializer(partial=True),
        responses=PetitionOfficerSerializer,
    )
    def patch(self, request, slug):
        """Change a petition's fields (its officers)."""
        if not request.user.is_authenticated:
            raise PermissionDenied
        petition = _for_action(request, slug, "petition.manage")
        data = PetitionWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        petition = services.petition_edit(
            petition=petition, by=request.user, **data.validated_data
        )
        return Response(PetitionOfficerSerializer(petition).data)


class PetitionStatus(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=StatusSerializer, responses=PetitionOfficerSerializer)
    def post(self, request, slug):
        """Open or close the petition (draft → open ⇄ closed)."""
        petition = _petition(request, slug)
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        petition = services.petition_set_status(
            petition=petition, by=request.user, status=data.validated_data["status"]
        )
        return Response(PetitionOfficerSerializer(petition).data)


class PetitionSign(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []  # a signer needs no account (and no CSRF token)

    @extend_schema(request=SignSerializer, responses={202: PetitionMessageSerializer})
    def post(self, request, slug):
        """Ask to sign: a link is e-mailed; the signature counts once it is
        followed. The answer is the same whether the address had signed or not."""
        petition = _petition(request, slug)
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["honeypot"] = fields.pop(services.HONEYPOT_FIELD)
        services.signature_request(
            petition=petition,
            client_address=ratelimits.client_address(request),
            **fields,
        )
        return Response(
            {"detail": _("Check your e-mail: the signature counts once confirmed.")},
            status=status.HTTP_202_ACCEPTED,
        )


class SignatureConfirm(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=SignatureTokenSerializer, responses=ConfirmedSerializer)
    def post(self, request):
        """Confirm a signature with the secret of the e-mailed link. A secret used
        already, expired or unknown is a 400 naming `token`."""
        data = SignatureTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            done = services.signature_confirm(token=data.validated_data["token"])
        except DjangoValidationError as error:
            raise _token_errors(error) from None
        if done.already:
            raise ValidationError(
                {"token": [_("This signature is already confirmed: it counts once.")]}
            )
        return Response(
            {
                "petition": done.petition.slug,
                "signature_count": done.petition.signature_count,
            }
        )


class SignatureWithdraw(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=SignatureTokenSerializer, responses=PetitionMessageSerializer
    )
    def post(self, request):
        """Withdraw a signature (and the consent given with it) with the secret of
        the e-mailed link."""
        data = SignatureTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.signature_withdraw(token=data.validated_data["token"])
        except DjangoValidationError as error:
            raise _token_errors(error) from None
        return Response({"detail": _("The signature is withdrawn.")})


class PetitionSigners(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=SignerSerializer(many=True))
    def get(self, request, slug):
        """The latest signers who agreed to be shown: first name and commune."""
        petition = _petition(request, slug)
        rows = selectors.public_signers(petition)
        return Response(
            SignerSerializer(
                [{"first_name": f, "commune": c} for f, c in rows], many=True
            ).data
        )


class PetitionSignatures(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "before", str, description="The `next` of the previous page"
            )
        ],
        responses=SignaturePageSerializer,
    )
    def get(self, request, slug):
        """Confirmed signatures, newest first, 100 a page (its officers)."""
        petition = _for_action(request, slug, "petition.signatures.view")
        before = None
        if raw := request.query_params.get("before"):
            moment, _sep, pk = raw.rpartition("_")
            try:
                before = (datetime.fromisoformat(moment), int(pk))
            except ValueError:
                raise ValidationError({"before": [_("Not a page marker.")]}) from None
        rows = list(
            selectors.confirmed_signatures(petition, before=before)[
                : selectors.OFFICERS_PAGE + 1
            ]
        )
        more = len(rows) > selectors.OFFICERS_PAGE
        rows = rows[: selectors.OFFICERS_PAGE]
        marker = f"{rows[-1].confirmed_at.isoformat()}_{rows[-1].pk}" if more else None
        return Response(
            {"results": SignatureSerializer(rows, many=True).data, "next": marker}
        )


class PetitionActivity(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ActivitySerializer)
    def get(self, request, slug):
        """The last hour's signatures against the previous day (a surge), by
        e-mail domain and network (its officers)."""
        petition = _for_action(request, slug, "petition.manage")
        return Response(ActivitySerializer(asdict(selectors.activity(petition))).data)
