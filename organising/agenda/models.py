"""Events with audiences, recurrences and their exceptions; answers (RSVPs) with a
waiting list; reminders sent once; private calendar feed tokens.

An event is stored once, with its RRULE; occurrences are computed when reading
(`recurrence.py`). Who sees an event is decided by its audience fields, like posts.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from federation.models import AudienceFields, Group, Unit
from federation.viewer_cache import new_version

DEFAULT_TIMEZONE = "Europe/Paris"


class Event(AudienceFields):
    """A meeting, an action, a training day... in a unit's or a group's agenda."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("meeting")
        ACTION = "action", _("action")
        TRAINING = "training", _("training")
        DEMONSTRATION = "demonstration", _("demonstration")
        CONGRESS = "congress", _("congress")
        SOCIAL = "social", _("social event")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        CANCELLED = "cancelled", _("cancelled")
        POSTPONED = "postponed", _("postponed")

    # The lifecycle in one place: which status may follow which.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PLANNED: frozenset({Status.CANCELLED, Status.POSTPONED}),
        Status.POSTPONED: frozenset({Status.PLANNED, Status.CANCELLED}),
        Status.CANCELLED: frozenset({Status.PLANNED}),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # iCalendar UID: ours for events made here, the file's for imported ones.
    uid = models.CharField(max_length=255)
    # The agenda the event belongs to: a unit's or a group's (exactly one).
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=13, choices=Kind, default=Kind.MEETING
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PLANNED
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    # clean_html() output, computed once when the description is written.
    description_html = models.TextField(blank=True, editable=False)
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    timezone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIMEZONE)
    all_day = models.BooleanField(_("all day"), default=False)
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    # Where the place is, for the map of events near me (WGS 84 degrees; optional).
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    contact = models.CharField(_("organiser contact"), max_length=200, blank=True)
    # RFC 5545 RRULE value without the "RRULE:" prefix; it always ends (COUNT/UNTIL).
    rrule = models.CharField(_("recurrence (RRULE)"), max_length=500, blank=True)
    # The span of every occurrence (moved ones included), kept by the services so
    # that a date range selects its events with one indexed condition.
    first_start = models.DateTimeField(editable=False)
    last_end = models.DateTimeField(editable=False)
    # Submitted up the tree: the parent unit whose officers may publish it.
    submitted_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Replaced (random, never reused) in the transaction of every change to the
    # event, its exceptions or its answers (`services.event_changed`): caches of
    # occurrences, cards and feed texts are keyed by it, so they can only miss.
    version = models.BigIntegerField(default=new_version, editable=False)

    class Meta(AudienceFields.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            *AudienceFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(unit__isnull=False, group__isnull=True)
                | Q(unit__isnull=True, group__isnull=False),
                name="agenda_event_unit_or_group",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")),
                name="agenda_event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "cancelled", "postponed"]),
                name="agenda_event_status_known",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="agenda_event_position",
            ),
            # An imported file's events are recognised by UID in the same agenda.
            models.UniqueConstraint(
                fields=["unit", "uid"],
                condition=Q(unit__isnull=False),
                name="agenda_event_uid_per_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["first_start", "last_end"], name="agenda_event_span"),
            models.Index(fields=["unit", "first_start"], name="agenda_event_unit"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agenda:event", kwargs={"public_id": self.public_id})

    @property
    def uri(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def owner_unit(self) -> Unit | None:
        """The unit whose officers run the event (a group's unit for group events)."""
        return self.unit if self.unit_id else self.group.unit

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    @property
    def is_public(self) -> bool:
        return self.audience == "public"

    @property
    def duration(self):
        return self.ends_at - self.starts_at


class OccurrenceException(models.Model):
    """One occurrence of a recurring event cancelled or moved."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="exceptions"
    )
    # The occurrence's start as the rule gives it (its RECURRENCE-ID).
    original_start = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "original_start"], name="agenda_exception_once"
            ),
            models.CheckConstraint(
                condition=Q(cancelled=True)
                | Q(starts_at__isnull=False, ends_at__gte=models.F("starts_at")),
                name="agenda_exception_cancel_or_move",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} @ {self.original_start:%Y-%m-%d %H:%M}"


class Reminder(models.TextChoices):
    """How long before an occurrence those going are e-mailed."""

    DAY = "1d", _("the day before (24 hours)")
    TWO_HOURS = "2h", _("two hours before")
    NONE = "none", _("no reminder")


# The lead time of each choice (None: never reminded).
REMINDER_LEADS = {
    Reminder.DAY: timedelta(hours=24),
    Reminder.TWO_HOURS: timedelta(hours=2),
    Reminder.NONE: None,
}


class AgendaPreference(models.Model):
    """A member's agenda settings: when they are reminded by default."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reminder = models.CharField(
        _("remind me"), max_length=4, choices=Reminder, default=Reminder.DAY
    )

    class Meta:
        verbose_name = _("agenda preference")
        verbose_name_plural = _("agenda preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.reminder}"


class Rsvp(models.Model):
    """An answer to one occurrence, by a member or (for public events) a guest."""

    class Answer(models.TextChoices):
        GOING = "going", _("going")
        MAYBE = "maybe", _("maybe")
        NOT_GOING = "not_going", _("not going")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    # The occurrence answered (its original start; the event's start if single).
    occurrence_start = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    guest_name = models.CharField(_("name"), max_length=120, blank=True)
    guest_email = models.EmailField(_("e-mail address"), blank=True)
    # A guest's answer counts once they followed the e-mailed link.
    guest_token_hash = models.CharField(max_length=64, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=9, choices=Answer)
    # "going" beyond the capacity: waits for a place, first come first served.
    waiting = models.BooleanField(_("on the waiting list"), default=False)
    answered_at = models.DateTimeField(_("answered at"))
    # This answer's reminder; empty: the member's preference (a day for guests).
    reminder = models.CharField(
        _("remind me"), max_length=4, choices=Reminder, blank=True, default=""
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "occurrence_start", "user"],
                condition=Q(user__isnull=False),
                name="agenda_rsvp_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["event", "occurrence_start", "guest_email"],
                condition=Q(user__isnull=True),
                name="agenda_rsvp_once_per_guest",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_email=""),
                name="agenda_rsvp_member_or_guest",
            ),
            models.CheckConstraint(
                condition=Q(waiting=False) | Q(answer="going"),
                name="agenda_rsvp_only_going_waits",
            ),
        ]
        indexes = [
            models.Index(
                fields=["event", "occurrence_start", "answer", "waiting"],
                name="agenda_rsvp_counts",
            ),
            models.Index(fields=["user", "occurrence_start"], name="agenda_rsvp_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.guest_email}: {self.answer}"

    @property
    def counts(self) -> bool:
        """Whether the answer is in force (a guest's needs confirming)."""
        return self.user_id is not None or self.confirmed_at is not None


class ReminderSent(models.Model):
    """The reminder of an answer went out: at most once, by the database."""

    rsvp = models.OneToOneField(Rsvp, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reminder {self.rsvp_id}"


class FeedToken(models.Model):
    """The secret of a member's private calendar feed, stored hashed (SHA-256):
    the database alone cannot rebuild the URL. Regenerating replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"feed of {self.user_id}"
