"""API shapes of events, occurrences and answers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from federation.models import Audience

from .models import DEFAULT_TIMEZONE, Event, Reminder, Rsvp


class AgendaRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = AgendaRefSerializer(allow_null=True, read_only=True)
    group = AgendaRefSerializer(allow_null=True, read_only=True)
    audience_unit = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    submitted_to = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    online_url = serializers.CharField(read_only=True)  # may be empty: not "uri"

    class Meta:
        model = Event
        fields = [
            "id",
            "uid",
            "uri",
            "unit",
            "group",
            "kind",
            "status",
            "audience",
            "audience_unit",
            "title",
            "description",
            "description_html",
            "starts_at",
            "ends_at",
            "timezone",
            "all_day",
            "place",
            "online_url",
            "latitude",
            "longitude",
            "capacity",
            "contact",
            "rrule",
            "submitted_to",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EventRefSerializer(serializers.ModelSerializer):
    """An event as an occurrence shows it (no description: a month holds many)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = AgendaRefSerializer(allow_null=True, read_only=True)
    group = AgendaRefSerializer(allow_null=True, read_only=True)
    online_url = serializers.CharField(read_only=True)  # may be empty: not "uri"

    class Meta:
        model = Event
        fields = [
            "id",
            "uri",
            "unit",
            "group",
            "kind",
            "status",
            "audience",
            "title",
            "timezone",
            "all_day",
            "place",
            "online_url",
            "capacity",
            "rrule",
        ]
        read_only_fields = fields


class EventWriteSerializer(serializers.Serializer):
    """Times with an offset (ISO 8601); the RRULE must end (COUNT or UNTIL)."""

    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Event.Kind.choices, default="meeting")
    audience = serializers.ChoiceField(
        choices=Audience.choices,
        required=False,
        help_text="Default: the unit and below",
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    all_day = serializers.BooleanField(default=False)
    description = serializers.CharField(
        max_length=10000, required=False, allow_blank=True
    )
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    online_url = serializers.URLField(required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        help_text="The place's position for the map (WGS 84), with longitude",
    )
    longitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )
    capacity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True)
    rrule = serializers.CharField(max_length=500, required=False, allow_blank=True)


class EventCreateSerializer(EventWriteSerializer):
    unit = serializers.SlugField(required=False, help_text="The unit's agenda")
    group = serializers.SlugField(required=False, help_text="Or a group's agenda")

    def validate(self, data):
        if bool(data.get("unit")) == bool(data.get("group")):
            raise serializers.ValidationError(
                {"unit": "Give the unit or the group whose agenda receives it."}
            )
        return data


class EventEditSerializer(EventWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class AnswerCountsSerializer(serializers.Serializer):
    going = serializers.IntegerField(default=0)
    maybe = serializers.IntegerField(default=0)
    not_going = serializers.IntegerField(default=0)
    waiting = serializers.IntegerField(default=0)


class OccurrenceSerializer(serializers.Serializer):
    key = serializers.CharField(
        source="occurrence.key", help_text="The occurrence in RSVP calls"
    )
    original_start = serializers.DateTimeField(source="occurrence.original_start")
    start = serializers.DateTimeField(source="occurrence.start")
    end = serializers.DateTimeField(source="occurrence.end")
    moved = serializers.BooleanField(source="occurrence.moved")
    event = EventRefSerializer(source="occurrence.event")
    my_answer = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_my_answer(self, item):
        return item.answer.answer if item.answer else None

    @extend_schema_field(serializers.BooleanField())
    def get_waiting(self, item) -> bool:
        return bool(item.answer and item.answer.waiting)

    @extend_schema_field(AnswerCountsSerializer)
    def get_counts(self, item):
        return AnswerCountsSerializer(
            {
                key: item.counts.get(key, 0)
                for key in ("going", "maybe", "not_going", "waiting")
            }
        ).data


class RsvpWriteSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=Rsvp.Answer.choices)
    reminder = serializers.ChoiceField(
        choices=Reminder.choices,
        required=False,
        allow_blank=True,
        help_text="When to be reminded: 1d, 2h, none; empty: as in my settings",
    )
    occurrence = serializers.CharField(
        required=False, help_text="An occurrence's key (recurring events)"
    )


class RsvpSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    guest = serializers.SerializerMethodField()

    class Meta:
        model = Rsvp
        fields = [
            "name",
            "email",
            "guest",
            "answer",
            "waiting",
            "occurrence_start",
            "answered_at",
        ]

    def get_name(self, rsvp) -> str:
        return rsvp.user.display_name if rsvp.user_id else rsvp.guest_name

    def get_email(self, rsvp) -> str:
        return rsvp.user.email if rsvp.user_id else rsvp.guest_email

    def get_guest(self, rsvp) -> bool:
        return rsvp.user_id is None


class MyRsvpSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rsvp
        fields = ["answer", "waiting", "occurrence_start", "answered_at", "reminder"]
