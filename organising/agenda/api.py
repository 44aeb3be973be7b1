"""REST endpoints of the agenda under /api/v1/: events (list in a range with
filters, create, edit, cancel), occurrences in a range, answers. Views parse, fetch
through the policy, call one service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Group, Unit

from . import recurrence, selectors, services
from .models import Event
from .serializers import (
    EventCreateSerializer,
    EventEditSerializer,
    EventSerializer,
    MyRsvpSerializer,
    OccurrenceSerializer,
    RsvpSerializer,
    RsvpWriteSerializer,
)

RANGE = [
    OpenApiParameter("from", str, description="Start (ISO date or date-time)"),
    OpenApiParameter("to", str, description="End, excluded (default: from + 31 days)"),
    OpenApiParameter(
        "scope", str, enum=["mine", "public"], description="Default: mine (signed in)"
    ),
    OpenApiParameter("unit", str, description="A unit's slug: that unit and below"),
    OpenApiParameter("kind", str, enum=Event.Kind.values),
]
OCCURRENCE = OpenApiParameter(
    "occurrence", str, description="An occurrence's key (default: the next one)"
)
MAX_EVENTS = 500
MAX_OCCURRENCES = 500


def _moment(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.combine(day, datetime.min.time())
    except ValueError:  # well formed but not a date (2026-13-45)
        value = None
    if value is None:
        raise ValidationError({name: ["Give an ISO 8601 date or date-time."]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _range(request) -> dict:
    start = _moment(request.query_params.get("from"), "from") or timezone.now()
    end = _moment(request.query_params.get("to"), "to") or start + timedelta(days=31)
    if end <= start:
        raise ValidationError({"to": ["The end of the range is before its start."]})
    if end - start > selectors.MAX_RANGE:
        raise ValidationError({"to": ["At most 400 days at once."]})
    kind = request.query_params.get("kind")  # "" is not a kind either (400)
    if kind is not None and kind not in Event.Kind.values:
        raise ValidationError({"kind": [f"One of {', '.join(Event.Kind.values)}."]})
    unit = None
    if request.query_params.get("unit"):
        unit = Unit.objects.filter(slug=request.query_params["unit"]).first()
        if unit is None:
            raise ValidationError({"unit": ["No such unit."]})
    scope = request.query_params.get("scope") or (
        "mine" if request.user.is_authenticated else "public"
    )
    if scope == "mine" and request.user.is_authenticated:
        events = selectors.mine(request.user)
    elif scope in ("mine", "public"):
        events = selectors.public(request.user)
    else:
        raise ValidationError({"scope": ["mine or public."]})
    return {"events": events, "start": start, "end": end, "kind": kind, "unit": unit}


def _event(request, public_id) -> Event:
    return access.get_visible_or_404(
        request.user,
        Event.objects.select_related(
            "unit", "group", "audience_unit", "audience_group", "submitted_to"
        ).prefetch_related("exceptions"),
        public_id=public_id,
    )


def _occurrence_start(event: Event, key: str | None):
    if not key:
        return None
    moment = recurrence.parse_key(key)
    if moment is None:
        raise ValidationError({"occurrence": ["Not an occurrence key."]})
    return moment


class EventList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_events_list",
        parameters=RANGE,
        responses=inline_serializer(
            name="EventRange",
            fields={
                "results": EventSerializer(many=True),
                "truncated": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request):
        """The events with an occurrence in the range (at most 500, by first start)."""
        found = _range(request)
        # The whole event (with its description): bounded to MAX_EVENTS rows.
        events = selectors._in_range(
            found["events"].defer(None), found["start"], found["end"]
        )
        if found["kind"]:
            events = events.filter(kind=found["kind"])
        if found["unit"]:
            events = events.filter(unit__path__startswith=found["unit"].path)
        page = list(events.order_by("first_start", "pk")[: MAX_EVENTS + 1])
        return Response(
            {
                "results": EventSerializer(page[:MAX_EVENTS], many=True).data,
                "truncated": len(page) > MAX_EVENTS,
            }
        )

    @extend_schema(request=EventCreateSerializer, responses={201: EventSerializer})
    def post(self, request):
        """Add an event to a unit's or a group's agenda (its officers, group admins)."""
        if not request.user.is_authenticated:
            raise PermissionDenied
        data = EventCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        unit_slug, group_slug = fields.pop("unit", None), fields.pop("group", None)
        if group_slug:
            agenda = get_object_or_404(
                Group.objects.select_related("unit"), slug=group_slug
            )
        else:
            agenda = get_object_or_404(Unit, slug=unit_slug)
        fields["timezone_name"] = fields.pop("timezone")
        event = services.event_create(by=request.user, agenda=agenda, **fields)
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class EventDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=EventSerializer)
    def get(self, request, public_id):
        return Response(EventSerializer(_event(request, public_id)).data)

    @extend_schema(request=EventEditSerializer, responses=EventSerializer)
    def patch(self, request, public_id):
        """Change fields; those who answered are e-mailed a new time or place."""
        event = _event(request, public_id)
        data = EventEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_edit(event=event, by=request.user, **data.validated_data)
        return Response(EventSerializer(_event(request, public_id)).data)


class EventCancel(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=EventSerializer)
    def post(self, request, public_id):
        """Cancel the event (everyone who answered is e-mailed)."""
        event = services.event_cancel(event=_event(request, public_id), by=request.user)
        return Response(EventSerializer(event).data)


class OccurrenceList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=RANGE, responses=OccurrenceSerializer(many=True))
    def get(self, request):
        """Occurrences in the range (the first 500), recurrences expanded, with my
        answer and the counts."""
        found = _range(request)
        result = selectors.agenda(
            request.user,
            found["events"],
            start=found["start"],
            end=found["end"],
            kind=found["kind"],
            unit=found["unit"],
        )
        # Bounded: the first MAX_OCCURRENCES; ask again from the last one's start.
        result.take(result.entries[:MAX_OCCURRENCES])
        return Response(OccurrenceSerializer(result.items, many=True).data)


class EventRsvp(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RsvpWriteSerializer, responses=MyRsvpSerializer)
    def post(self, request, public_id):
        """Answer going, maybe or not going (beyond the capacity: waiting list)."""
        event = _event(request, public_id)
        data = RsvpWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():  # the answer and its reminder, or neither
            rsvp = services.rsvp_answer(
                event=event,
                user=request.user,
                answer=data.validated_data["answer"],
                occurrence_start=_occurrence_start(
                    event, data.validated_data.get("occurrence")
                ),
            )
            if "reminder" in data.validated_data:
                rsvp = services.rsvp_reminder_set(
                    rsvp=rsvp, by=request.user, reminder=data.validated_data["reminder"]
                )
        return Response(MyRsvpSerializer(rsvp).data)

    @extend_schema(parameters=[OCCURRENCE], responses=RsvpSerializer(many=True))
    def get(self, request, public_id):
        """Everyone who answered one occurrence, with the times (organisers only)."""
        event = _event(request, public_id)
        access.enforce(request.user, "event.attendees.view", event)
        moment = _occurrence_start(event, request.query_params.get("occurrence"))
        occurrence = (
            recurrence.occurrence_at(event, moment) if moment else None
        ) or recurrence.occurrence_at(event, event.starts_at)
        if occurrence is None:
            raise Http404
        rows = [r for r in selectors.attendees(event, occurrence.original_start)]
        return Response(RsvpSerializer([r for r in rows if r.counts], many=True).data)
