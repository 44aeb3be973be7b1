"""The dues API: schedules, my dues, payments (record, reverse, list), imports
(upload, preview, confirm), mandates, reports with breakdown.

Recording is idempotent: give an `Idempotency-Key` header (or `idempotency_key`);
the same key answers 201 the first time and 200 with the same entry afterwards, and
409 if it was used for a different request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Unit

from . import periods as P
from . import reports, selectors, services
from .models import Exemption, Import, LedgerEntry, LedgerLine, PostalAddress
from .rates import load_schedules
from .serializers import (
    BracketDeclareSerializer,
    ChargeCorrectSerializer,
    DeclarationSerializer,
    DeclaredPaymentSerializer,
    EntrySerializer,
    ExemptionEndSerializer,
    ExemptionSerializer,
    ImportSerializer,
    ImportUploadSerializer,
    MandateCreateSerializer,
    MandateSerializer,
    MemberStandingSerializer,
    MyDuesSerializer,
    PaymentInSerializer,
    PaymentRecordSerializer,
    PeriodRowSerializer,
    PostalAddressSerializer,
    ReportSerializer,
    ReverseSerializer,
    ScheduleCreateSerializer,
    ScheduleSerializer,
)
from .views.common import kept_or_404, receipt_response, record_bulk_access

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): the same key records once.",
)


def _key(request, data: dict) -> str:
    return request.headers.get("Idempotency-Key") or data.get("idempotency_key") or ""


def _payment_fields(request, data: dict) -> dict:
    """A validated payment as the recording services take it (keyword arguments)."""
    return {
        "amount_cents": data["amount_cents"],
        "paid_on": data["paid_on"],
        "method": data["method"],
        "idempotency_key": _key(request, data),
        "periods": data.get("periods") or None,
        "cheque_number": data.get("cheque_number", ""),
        "reference": data.get("reference", ""),
        "note": data.get("note", ""),
    }


def _recorded_response(recorded, context) -> Response:
    data = EntrySerializer(recorded.entry, context=context).data
    return Response(data, status=status.HTTP_201_CREATED if recorded.created else 200)


def _conflict(error: services.IdempotencyConflict) -> Response:
    return Response(
        {"idempotency_key": error.messages}, status=status.HTTP_409_CONFLICT
    )


# --- Schedules -----------------------------------------------------------------


class Schedules(APIView):
    """Every schedule of dues, the latest first (brackets, reduced rates, shares)."""

    @extend_schema(responses=ScheduleSerializer(many=True))
    def get(self, request):
        return Response(
            ScheduleSerializer(list(reversed(load_schedules())), many=True).data
        )

    @extend_schema(
        request=ScheduleCreateSerializer, responses={201: ScheduleSerializer}
    )
    def post(self, request):
        """Publish a new schedule (the national treasurer)."""
        serializer = ScheduleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            shares = {int(depth): bp for depth, bp in data["shares"].items()}
        except ValueError:
            raise ValidationError({"shares": "Keys are level depths."}) from None
        schedule = services.schedule_create(
            by=request.user,
            name=data["name"],
            period=data["period"],
            valid_from=data["valid_from"],
            minimum_monthly_cents=data["minimum_monthly_cents"],
            brackets=[services.BracketSpec(**b) for b in data["brackets"]],
            reduced=[
                services.ReducedSpec(
                    r["category"], r["monthly_cents"], r.get("income_ceiling_cents")
                )
                for r in data.get("reduced", [])
            ],
            shares=shares,
            note=data.get("note", ""),
        )
        loaded = next(s for s in load_schedules() if s.schedule.pk == schedule.pk)
        return Response(ScheduleSerializer(loaded).data, status=status.HTTP_201_CREATED)


# --- My dues -------------------------------------------------------------------


class OwnDues(APIView):
    """An endpoint about the caller's own dues: 404 for someone who has none (a
    sympathiser), like the page."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.can(request.user, "dues.own.view", request.user):
            raise Http404


class MyDues(OwnDues):
    """What I owe and paid, my standing, my declaration, my mandate, my receipts."""

    @extend_schema(responses=MyDuesSerializer)
    def get(self, request):
        dues = selectors.my_dues(request.user)
        entries = (
            LedgerEntry.objects.filter(pk__in=[e.pk for e in dues.entries])
            .select_related("member", "unit", "created_by")
            .prefetch_related("lines")
            .order_by("-created_at", "-pk")
        )
        standing = dues.standing
        data = {
            "standing": {
                "state": standing.state,
                "late_periods": standing.late_periods,
                "balance_cents": standing.balance_cents,
                "is_good": standing.is_good,
            },
            "expected_period_cents": dues.expected_period_cents,
            "period": dues.schedule.period if dues.schedule else None,
            "declaration": DeclarationSerializer(dues.declaration).data
            if dues.declaration
            else None,
            "transfer_reference": services.member_reference(request.user),
            "periods": dues.periods,
            "entries": EntrySerializer(
                entries, many=True, context={"schedules": load_schedules()}
            ).data,
            "mandate": MandateSerializer(dues.mandate).data if dues.mandate else None,
            "receipts": [
                {
                    "year": year,
                    "paid_cents": amount,
                    "url": reverse("api-dues-my-receipt", kwargs={"year": year}),
                }
                for year, amount in dues.receipt_years
            ],
        }
        data["periods"] = PeriodRowSerializer(dues.periods, many=True).data
        return Response(data)


class MyBracket(OwnDues):
    """Declare my income bracket (by its lower bound) and reduced-rate category."""

    @extend_schema(request=BracketDeclareSerializer, responses=DeclarationSerializer)
    def put(self, request):
        serializer = BracketDeclareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.declaration_set(
            member=request.user,
            income_floor_cents=serializer.validated_data["bracket_lower_cents"],
            category=serializer.validated_data.get("category", ""),
        )
        return Response(DeclarationSerializer(declaration).data)


class MyDeclaredPayments(OwnDues):
    """Declare a payment I made; a treasurer confirms it."""

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=PaymentInSerializer,
        responses={201: DeclaredPaymentSerializer, 200: DeclaredPaymentSerializer},
    )
    def post(self, request):
        serializer = PaymentInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        declared, created = services.declared_payment_create(
            member=request.user, **_payment_fields(request, data)
        )
        return Response(
            DeclaredPaymentSerializer(declared).data,
            status=status.HTTP_201_CREATED if created else 200,
        )


class MyReceipt(OwnDues):
    """My receipt for a past year, as PDF (issued and numbered on first request)."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, year: int):
        receipt = services.receipt_issue(
            member=request.user, year=year, by=request.user
        )
        return receipt_response(receipt)


class MyAddress(OwnDues):
    """The postal address my tax receipts name."""

    @extend_schema(
        request=PostalAddressSerializer,
        responses={200: PostalAddressSerializer, 404: OpenApiResponse()},
    )
    def get(self, request):
        found = PostalAddress.objects.filter(member=request.user).first()
        if found is None:
            raise Http404
        return Response(PostalAddressSerializer({"address": found.lines}).data)

    @extend_schema(request=PostalAddressSerializer, responses=PostalAddressSerializer)
    def put(self, request):
        serializer = PostalAddressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = services.postal_address_set(
            member=request.user, lines=serializer.validated_data["address"]
        )
        return Response(PostalAddressSerializer({"address": found.lines}).data)


class MyMandate(OwnDues):
    """My direct debit mandate (the IBAN is shown masked)."""

    @extend_schema(responses={200: MandateSerializer, 404: OpenApiResponse()})
    def get(self, request):
        mandate = selectors.active_mandate(member=request.user)
        if mandate is None:
            raise Http404
        return Response(MandateSerializer(mandate).data)

    @extend_schema(request=MandateCreateSerializer, responses={201: MandateSerializer})
    def post(self, request):
        serializer = MandateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mandate = services.mandate_create(
            member=request.user, **serializer.validated_data
        )
        return Response(MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request):
        mandate = selectors.active_mandate(member=request.user)
        if mandate is None:
            raise Http404
        services.mandate_revoke(mandate=mandate, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Payments (treasurers) -----------------------------------------------------


class BulkAccessRecorded:
    """A list view of members' personal data in `self.unit` (set by
    `get_queryset`): each page served is recorded in the audit trail."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        record_bulk_access(
            self.request,
            self.unit,
            kind="view",
            members=[row.member_id for row in page or ()],
        )
        return page


class EntryPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


def _unit_param(request, action: str) -> Unit:
    slug = request.query_params.get("unit") or request.data.get("unit")
    if not slug:
        raise ValidationError({"unit": "Give the unit (slug)."})
    return access.get_for_action_or_404(request.user, action, Unit, slug=slug)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "unit", str, required=True, description="Unit slug (and below)"
        ),
        OpenApiParameter("member", str, description="Only this member (public id)"),
        OpenApiParameter("kind", str, enum=["payment", "reversal", "return", "waiver"]),
    ]
)
class Payments(BulkAccessRecorded, generics.ListAPIView):
    """Ledger entries recorded in a unit and below, newest first (treasurers and
    secretaries of the unit); POST records a payment (treasurers)."""

    serializer_class = EntrySerializer
    pagination_class = EntryPagination

    def get_queryset(self):
        self.unit = _unit_param(self.request, "dues.member_amounts")
        entries = (
            LedgerEntry.objects.filter(unit__path__startswith=self.unit.path)
            .exclude(kind="charge")
            .select_related("member", "unit", "created_by")
            .prefetch_related(
                Prefetch("lines", queryset=LedgerLine.objects.order_by("period"))
            )
        )
        member = self.request.query_params.get("member")
        if member:
            entries = entries.filter(member__public_id=member)
        kind = self.request.query_params.get("kind")
        if kind:
            entries = entries.filter(kind=kind)
        return entries

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "schedules": load_schedules()}

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=PaymentRecordSerializer,
        responses={
            201: EntrySerializer,
            200: OpenApiResponse(EntrySerializer, description="Already recorded"),
            409: OpenApiResponse(description="The key was used for another request"),
        },
    )
    def post(self, request):
        serializer = PaymentRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            membership = access.dues_membership_or_404(
                request.user, "dues.manage", data["member"]
            )
        except Http404:
            # The same answer for an unknown id and a member elsewhere: ids do not leak.
            raise ValidationError(
                {"member": _("No member of the units whose dues you keep has this id.")}
            ) from None
        try:
            recorded = services.payment_record(
                member=membership.user,
                by=request.user,
                source="api",
                **_payment_fields(request, data),
            )
        except services.IdempotencyConflict as error:
            return _conflict(error)
        return _recorded_response(recorded, {"schedules": load_schedules()})


class PaymentReverse(APIView):
    """Correct a payment with a reversing entry (treasurers)."""

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=ReverseSerializer,
        responses={201: EntrySerializer, 200: EntrySerializer},
    )
    def post(self, request, pk: int):
        entry = kept_or_404(request, LedgerEntry, action="dues.member_amounts", pk=pk)
        serializer = ReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            recorded = services.entry_reverse(
                entry=entry,
                by=request.user,
                reason=serializer.validated_data["reason"],
                idempotency_key=_key(request, serializer.validated_data),
            )
        except services.IdempotencyConflict as error:
            return _conflict(error)
        return _recorded_response(recorded, {"schedules": load_schedules()})


class ChargeCorrection(APIView):
    """Take back the dues called by mistake for a period (treasurers who may
    correct), with the reason; answers the correcting entry."""

    @extend_schema(request=ChargeCorrectSerializer, responses={201: EntrySerializer})
    def post(self, request, public_id):
        membership = access.dues_membership_or_404(
            request.user, "dues.correct", public_id
        )
        serializer = ChargeCorrectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            start, _kind = P.parse_period_key(serializer.validated_data["period"])
        except ValidationError as error:
            raise ValidationError({"period": error.messages}) from None
        recorded = services.charge_correct(
            member=membership.user,
            period=start,
            by=request.user,
            reason=serializer.validated_data["reason"],
        )
        return _recorded_response(recorded, {"schedules": load_schedules()})


class ExemptionEnd(APIView):
    """End a member's exemption after the current period, with the reason."""

    @extend_schema(request=ExemptionEndSerializer, responses={200: ExemptionSerializer})
    def post(self, request, pk: int):
        exemption = Exemption.objects.filter(pk=pk).select_related("member").first()
        if exemption is None:
            raise Http404
        access.dues_membership_or_404(
            request.user, "dues.correct", exemption.member.public_id
        )
        serializer = ExemptionEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ended = services.exemption_end(
            exemption=exemption,
            by=request.user,
            reason=serializer.validated_data["reason"],
        )
        return Response(ExemptionSerializer(ended).data)


# --- Imports -------------------------------------------------------------------


def _import_data(request, batch: Import) -> dict:
    """The import and its lines; the members they were matched to are recorded as
    viewed."""
    data = ImportSerializer(batch).data
    members = [line["member"] for line in data["lines"]]
    record_bulk_access(request, batch.unit, kind="view", members=members)
    return data


class Imports(APIView):
    """Upload a CSV statement: answers the preview (nothing is recorded yet)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportSerializer})
    def post(self, request):
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = access.get_for_action_or_404(
            request.user, "dues.manage", Unit, slug=serializer.validated_data["unit"]
        )
        upload = serializer.validated_data["file"]
        batch = services.import_create(
            unit=unit,
            by=request.user,
            filename=upload.name,
            content=upload.read(),
            encoding=serializer.validated_data["encoding"],
        )
        return Response(_import_data(request, batch), status=status.HTTP_201_CREATED)


class ImportDetail(APIView):
    """The preview of an import: counts and lines (the first 1,000)."""

    @extend_schema(responses=ImportSerializer)
    def get(self, request, pk: int):
        return Response(_import_data(request, kept_or_404(request, Import, pk=pk)))


class ImportConfirm(APIView):
    """Record every ready line of the import (each once; confirming twice is safe)."""

    @extend_schema(request=None, responses=ImportSerializer)
    def post(self, request, pk: int):
        batch = services.import_confirm_start(
            batch=kept_or_404(request, Import, pk=pk), by=request.user
        )
        return Response(_import_data(request, batch))


# --- Mandates, members, reports (treasurers) -----------------------------------


@extend_schema(parameters=[OpenApiParameter("unit", str, required=True)])
class Mandates(BulkAccessRecorded, generics.ListAPIView):
    """Active mandates of the members of a unit and below (treasurers: full IBAN)."""

    serializer_class = MandateSerializer
    pagination_class = EntryPagination

    def get_queryset(self):
        self.unit = _unit_param(self.request, "dues.manage")
        return selectors.active_mandates(unit=self.unit)

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "full_iban": access.can(self.request.user, "dues.mandate_view", self.unit),
        }


class UnitMembers(APIView):
    """The adherents of a unit and below, with their standing (treasurers and
    secretaries)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("late", bool),
            OpenApiParameter("after", str, description="The `next` cursor of a page"),
        ],
        responses=MemberStandingSerializer(many=True),
    )
    def get(self, request, slug: str):
        unit = access.get_for_action_or_404(
            request.user, "dues.member_amounts", Unit, slug=slug
        )
        page = selectors.unit_member_standings(
            unit=unit,
            query=request.query_params.get("q", ""),
            late_only=request.query_params.get("late") in ("1", "true"),
            after=request.query_params.get("after"),
        )
        record_bulk_access(
            request, unit, kind="view", members=[row.user.pk for row in page.rows]
        )
        return Response(
            {
                "results": MemberStandingSerializer(
                    [
                        {
                            "user": row.user,
                            "membership": row.membership,
                            "standing": {
                                "state": row.standing.state,
                                "late_periods": row.standing.late_periods,
                                "balance_cents": row.standing.balance_cents,
                                "is_good": row.standing.is_good,
                            },
                        }
                        for row in page.rows
                    ],
                    many=True,
                ).data,
                "next": page.next_cursor,
            }
        )


class UnitReport(APIView):
    """Expected, collected, outstanding, rate, members up to date for a period, by
    child unit, the last 24 months and each level's share (treasurers and secretaries
    of the unit or above). Members' rows only for a cell."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="2025-03, 2025-Q1, 2025")
        ],
        responses=ReportSerializer,
    )
    def get(self, request, slug: str):
        unit = access.get_for_action_or_404(
            request.user, "dues.report", Unit, slug=slug
        )
        with_members = (
            access.can(request.user, "dues.member_amounts", unit) and unit.is_leaf()
        )
        # A period that is not whole periods of the schedules is a 400 on `period`.
        result = reports.unit_report(
            unit=unit,
            period=request.query_params.get("period", "").strip() or None,
            with_members=with_members,
        )
        record_bulk_access(
            request,
            unit,
            kind="view",
            members=[row.user_id for row in result.members or ()],
        )
        return Response(ReportSerializer(result).data)
