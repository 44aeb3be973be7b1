"""Forms of the agenda: they check shape; the services check the rules."""

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from federation.models import Audience

from . import recurrence
from .models import DEFAULT_TIMEZONE, Event, Reminder, Rsvp

UNIT_AUDIENCES = [
    (Audience.UNIT_TREE, Audience.UNIT_TREE.label),
    (Audience.UNIT, Audience.UNIT.label),
    (Audience.OFFICERS, Audience.OFFICERS.label),
    (Audience.PARTY, Audience.PARTY.label),
    (Audience.PUBLIC, Audience.PUBLIC.label),
]
GROUP_AUDIENCES = [
    (Audience.GROUP, Audience.GROUP.label),
    (Audience.PUBLIC, Audience.PUBLIC.label),
]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(forms.Form):
    """Times are read as wall-clock times in the event's time zone."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    audience = forms.ChoiceField(label=_("Who may see it"), choices=UNIT_AUDIENCES)
    starts_at = forms.DateTimeField(label=_("Start"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("End"), widget=LocalDateTimeInput())
    all_day = forms.BooleanField(label=_("All day"), required=False)
    timezone = forms.CharField(
        label=_("Time zone"), max_length=64, initial=DEFAULT_TIMEZONE
    )
    place = forms.CharField(label=_("Place (address)"), max_length=300, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False)
    latitude = forms.DecimalField(
        label=_("Latitude (for the map)"),
        min_value=-90,
        max_value=90,
        decimal_places=5,
        required=False,
    )
    longitude = forms.DecimalField(
        label=_("Longitude (for the map)"),
        min_value=-180,
        max_value=180,
        decimal_places=5,
        required=False,
    )
    capacity = forms.IntegerField(
        label=_("Capacity"), min_value=1, max_value=1_000_000, required=False
    )
    contact = forms.CharField(
        label=_("Organiser contact"), max_length=200, required=False
    )
    rrule = forms.CharField(
        label=_("Recurrence (RRULE)"),
        max_length=500,
        required=False,
        help_text=_(
            "For example FREQ=WEEKLY;BYDAY=TH;COUNT=10 or "
            "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270630. It must end."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, group_agenda: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if group_agenda:
            self.fields["audience"].choices = GROUP_AUDIENCES

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both the latitude and the longitude."))
        name = data.get("timezone") or DEFAULT_TIMEZONE
        try:
            tz = recurrence.zone(name)
        except forms.ValidationError:
            self.add_error("timezone", _("Unknown time zone."))
            return data
        for key in ("starts_at", "ends_at"):
            value = data.get(key)
            if isinstance(value, datetime):
                # The browser sends a wall-clock time: it is in the event's zone.
                data[key] = value.replace(tzinfo=None).replace(tzinfo=tz)
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["timezone_name"] = data.pop("timezone") or DEFAULT_TIMEZONE
        return data

    @classmethod
    def initial_for(cls, event: Event) -> dict:
        tz = recurrence.zone(event.timezone)
        return {
            "title": event.title,
            "kind": event.kind,
            "audience": event.audience,
            "starts_at": event.starts_at.astimezone(tz).replace(tzinfo=None),
            "ends_at": event.ends_at.astimezone(tz).replace(tzinfo=None),
            "all_day": event.all_day,
            "timezone": event.timezone,
            "place": event.place,
            "online_url": event.online_url,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "capacity": event.capacity,
            "contact": event.contact,
            "rrule": event.rrule,
            "description": event.description,
        }


class ReminderPreferenceForm(forms.Form):
    reminder = forms.ChoiceField(
        label=_("Remind me of what I go to"),
        choices=Reminder.choices,
        widget=forms.RadioSelect,
    )


class RsvpReminderForm(forms.Form):
    reminder = forms.ChoiceField(
        label=_("Remind me"),
        choices=[("", _("as in my settings")), *Reminder.choices],
        required=False,
    )
    occurrence = forms.CharField(
        required=False, max_length=20, widget=forms.HiddenInput
    )


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=Rsvp.Answer.choices)
    occurrence = forms.CharField(required=False, max_length=20)


class GuestRsvpForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Your e-mail address"))
    occurrence = forms.CharField(
        required=False, max_length=20, widget=forms.HiddenInput
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("iCalendar file (.ics)"))
