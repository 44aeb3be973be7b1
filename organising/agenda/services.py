"""Every write of the agenda: events, their lifecycle and exceptions, answers with the
waiting list, submissions up the tree, feed tokens, reminders.

Keyword-only, atomic, an audit row in the same transaction; e-mails leave through
`transaction.on_commit`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from federation import access
from federation.models import Audience, Group, Unit
from federation.viewer_cache import new_version
from organising.audit.services import audit_record
from organising.messaging.text import clean_html

from . import recurrence
from .models import (
    REMINDER_LEADS,
    AgendaPreference,
    Event,
    FeedToken,
    OccurrenceException,
    Reminder,
    ReminderSent,
    Rsvp,
)

# What a member is e-mailed about when it changes.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "place", "online_url", "status", "rrule")
EDITABLE_FIELDS = (
    "title",
    "description",
    "kind",
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
    "audience",
    "audience_unit",
    "audience_group",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- The one "changed" step of every write -------------------------------------------


def event_changed(event: Event, *, what: str = "event") -> None:
    """A write changed the event, its exceptions or its answers: a new version in
    this transaction (what caches keep under the old one is never read again), and
    the pages watching it told once it commits (`live.announce_event`). `what`:
    "event" (fields, status, occurrences) or "answers"."""
    from . import live

    event.version = new_version()
    Event.objects.filter(pk=event.pk).update(version=event.version)
    live.announce_event(event, what=what)


# --- Events --------------------------------------------------------------------------


def _check_audience(event: Event) -> None:
    """A unit's event is for the public, the party, or that unit (alone, with the
    units below, or its officers); a group's event for the group or the public."""
    if event.audience not in Audience.values:
        raise ValidationError({"audience": _("Choose an audience.")})
    if event.group_id:
        if event.audience not in (Audience.GROUP, Audience.PUBLIC):
            raise ValidationError(
                {"audience": _("A group's event is for the group or the public.")}
            )
    elif event.audience == Audience.GROUP:
        raise ValidationError({"audience": _("A unit's event is not for a group.")})
    event.audience_unit = (
        event.unit
        if event.audience in (Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS)
        else None
    )
    event.audience_group = event.group if event.audience == Audience.GROUP else None


def _check_event(event: Event) -> None:
    """The domain rules of an event's fields (ValidationError naming the field)."""
    errors: dict[str, str] = {}
    if not event.title.strip():
        errors["title"] = _("Give the event a title.")
    recurrence.zone(event.timezone)
    if event.starts_at is None:
        errors["starts_at"] = _("Give the start.")
    if event.ends_at is None:
        errors["ends_at"] = _("Give the end.")
    elif event.starts_at is not None and event.ends_at < event.starts_at:
        errors["ends_at"] = _("The end is before the start.")
    if (event.latitude is None) != (event.longitude is None):
        errors["longitude"] = _("Give both the latitude and the longitude.")
    elif event.latitude is not None and not (
        -90 <= event.latitude <= 90 and -180 <= event.longitude <= 180
    ):
        errors["latitude"] = _("This position is not on Earth.")
    if event.capacity is not None and not 1 <= event.capacity <= 1_000_000:
        errors["capacity"] = _("The capacity is at least one place.")
    for name in ("starts_at", "ends_at"):
        moment = getattr(event, name)
        if moment is not None and not 1970 <= moment.year <= 2200:
            errors[name] = _("Give a date between 1970 and 2200.")
    if errors:
        raise ValidationError(errors)
    # Occurrences are named by their start to the second (URLs, RECURRENCE-ID).
    event.starts_at = event.starts_at.replace(microsecond=0)
    event.ends_at = event.ends_at.replace(microsecond=0)
    if event.all_day:  # whole days in the event's zone: midnight to midnight
        tz = recurrence.zone(event.timezone)
        first = event.starts_at.astimezone(tz).date()
        last = max(event.ends_at.astimezone(tz).date(), first)
        if event.ends_at.astimezone(tz).time() != datetime.min.time() or last == first:
            last = last + timedelta(days=1)
        event.starts_at = datetime.combine(first, datetime.min.time(), tz)
        event.ends_at = datetime.combine(last, datetime.min.time(), tz)
    event.rrule = recurrence.normalise_rrule(
        event.rrule, starts_at=event.starts_at, tz=event.timezone
    )
    event.description_html = clean_html(linebreaks(event.description))
    _check_audience(event)


def _refresh_span(event: Event) -> None:
    event.first_start, event.last_end = recurrence.span(
        event, event.exceptions.all() if event.pk else ()
    )


@transaction.atomic
def event_create(
    *,
    by,
    agenda: Unit | Group,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    audience: str = "",
    description: str = "",
    kind: str = Event.Kind.MEETING,
    timezone_name: str = "Europe/Paris",
    all_day: bool = False,
    place: str = "",
    online_url: str = "",
    latitude=None,
    longitude=None,
    capacity: int | None = None,
    contact: str = "",
    rrule: str = "",
    uid: str = "",
    audit: bool = True,
) -> Event:
    """Add an event to a unit's or a group's agenda."""
    access.require(by, "event.create", agenda)
    is_group = isinstance(agenda, Group)
    event = Event(
        unit=None if is_group else agenda,
        group=agenda if is_group else None,
        audience=audience or (Audience.GROUP if is_group else Audience.UNIT_TREE),
        title=title,
        description=description,
        kind=kind,
        timezone=timezone_name,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        place=place,
        online_url=online_url,
        latitude=latitude,
        longitude=longitude,
        capacity=capacity,
        contact=contact,
        rrule=rrule,
        created_by=by,
    )
    if kind not in Event.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of event.")})
    _check_event(event)
    event.uid = uid or f"{uuid.uuid4()}@{_host()}"
    _refresh_span(event)
    event.save()
    event_changed(event)
    if audit:
        audit_record(
            actor=by, action="event.create", target=event, unit=event.owner_unit
        )
    return event


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


@transaction.atomic
def event_edit(*, event: Event, by, **changes) -> Event:
    """Change an event's fields; those who answered hear of a new time, place or
    recurrence. A capacity below the members already going is refused."""
    access.require(by, "event.edit", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    before = {name: getattr(event, name) for name in NOTIFIED_FIELDS}
    for name, value in changes.items():
        if name == "timezone" and not value:
            continue
        setattr(event, name, value)
    if "kind" in changes and event.kind not in Event.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of event.")})
    _check_event(event)
    if "capacity" in changes and event.capacity is not None:
        most = max(
            Rsvp.objects.filter(event=event, answer=Rsvp.Answer.GOING, waiting=False)
            .values("occurrence_start")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("n", flat=True),
            default=0,
        )
        if event.capacity < most:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(n)d people are already going: the capacity cannot be lower."
                    )
                    % {"n": most}
                }
            )
    _refresh_span(event)
    event.save()
    event_changed(event)
    if "capacity" in changes:  # more places (or none): those waiting move up
        waiting_starts = set(
            Rsvp.objects.filter(event=event, waiting=True).values_list(
                "occurrence_start", flat=True
            )
        )
        for start in sorted(waiting_starts):
            _promote_waiting(event, start)
    changed = [name for name in NOTIFIED_FIELDS if getattr(event, name) != before[name]]
    audit_record(
        actor=by,
        action="event.edit",
        target=event,
        unit=event.owner_unit,
        data={"fields": sorted(changes), "notified": changed},
    )
    if changed:
        _notify_change(event, changed)
    return event


@transaction.atomic
def event_set_status(*, event: Event, by, status: str) -> Event:
    """Move the event along its lifecycle (`Event.TRANSITIONS`)."""
    access.require(by, "event.edit", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if status not in Event.TRANSITIONS.get(event.status, ()):
        raise ValidationError(
            {
                "status": _("An event that is %(now)s cannot become %(next)s.")
                % {
                    "now": Event.Status(event.status).label,
                    "next": Event.Status(status).label
                    if status in Event.Status.values
                    else status,
                }
            }
        )
    previous, event.status = event.status, status
    event.save(update_fields=["status", "updated_at"])
    event_changed(event)
    audit_record(
        actor=by,
        action="event.status",
        target=event,
        unit=event.owner_unit,
        data={"from": previous, "to": status},
    )
    _notify_change(event, ["status"])
    return event


def event_cancel(*, event: Event, by) -> Event:
    return event_set_status(event=event, by=by, status=Event.Status.CANCELLED)


def _occurrence_or_error(event: Event, original_start: datetime) -> None:
    if not event.rrule:
        raise ValidationError(
            {"occurrence": _("Only a recurring event has single occurrences.")}
        )
    for start in recurrence.rule_starts(event):
        if start == original_start:
            return
        if start > original_start:
            break
    raise ValidationError({"occurrence": _("There is no such occurrence.")})


@transaction.atomic
def occurrence_cancel(*, event: Event, by, original_start: datetime) -> None:
    """Cancel one meeting of a recurring event."""
    access.require(by, "event.edit", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    _occurrence_or_error(event, original_start)
    OccurrenceException.objects.update_or_create(
        event=event,
        original_start=original_start,
        defaults={"cancelled": True, "starts_at": None, "ends_at": None},
    )
    _refresh_span(event)
    event.save(update_fields=["first_start", "last_end", "updated_at"])
    event_changed(event)
    audit_record(
        actor=by,
        action="event.occurrence_cancel",
        target=event,
        unit=event.owner_unit,
        data={"occurrence": original_start.isoformat()},
    )
    _notify_change(event, ["status"], occurrence_start=original_start)


@transaction.atomic
def occurrence_move(
    *,
    event: Event,
    by,
    original_start: datetime,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    """Move one meeting of a recurring event (the others keep their time)."""
    access.require(by, "event.edit", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    _occurrence_or_error(event, original_start)
    if ends_at < starts_at:
        raise ValidationError({"ends_at": _("The end is before the start.")})
    OccurrenceException.objects.update_or_create(
        event=event,
        original_start=original_start,
        defaults={"cancelled": False, "starts_at": starts_at, "ends_at": ends_at},
    )
    _refresh_span(event)
    event.save(update_fields=["first_start", "last_end", "updated_at"])
    event_changed(event)
    audit_record(
        actor=by,
        action="event.occurrence_move",
        target=event,
        unit=event.owner_unit,
        data={"occurrence": original_start.isoformat(), "to": starts_at.isoformat()},
    )
    _notify_change(event, ["starts_at"], occurrence_start=original_start)


# --- Up the tree ---------------------------------------------------------------------


@transaction.atomic
def event_submit(*, event: Event, by) -> Event:
    """Offer a unit's event to its parent unit, whose officers may publish it."""
    access.require(by, "event.submit", event)
    event.submitted_to = Unit.objects.get(path=event.unit.ancestor_paths[-1])
    event.submitted_at = timezone.now()
    event.save(update_fields=["submitted_to", "submitted_at", "updated_at"])
    event_changed(event)
    audit_record(
        actor=by,
        action="event.submit",
        target=event,
        unit=event.submitted_to,
    )
    return event


@transaction.atomic
def event_publish(*, event: Event, by) -> Event:
    """Publish a submitted event to the parent unit and every unit below it (the
    event stays in the agenda it came from; answers are kept)."""
    access.require(by, "event.publish", event)
    event.audience = Audience.UNIT_TREE
    event.audience_unit = event.submitted_to
    event.published_at = timezone.now()
    event.save(
        update_fields=["audience", "audience_unit", "published_at", "updated_at"]
    )
    event_changed(event)
    audit_record(
        actor=by, action="event.publish", target=event, unit=event.audience_unit
    )
    return event


# --- Answers -------------------------------------------------------------------------


def _occurrence_start_or_error(event: Event, occurrence_start: datetime | None):
    if occurrence_start is None:
        occurrence_start = event.starts_at
    occurrence = recurrence.occurrence_at(event, occurrence_start.astimezone(UTC))
    if occurrence is None:
        raise ValidationError({"occurrence": _("There is no such occurrence.")})
    return occurrence


def _going_count(event: Event, occurrence_start: datetime) -> int:
    return (
        Rsvp.objects.filter(
            event=event,
            occurrence_start=occurrence_start,
            answer=Rsvp.Answer.GOING,
            waiting=False,
        )
        .exclude(user__isnull=True, confirmed_at__isnull=True)
        .count()
    )


def _promote_waiting(event: Event, occurrence_start: datetime) -> list[Rsvp]:
    """Give freed places to the longest-waiting answers (under the event's lock)."""
    if event.capacity is None:
        places = None
    else:
        places = event.capacity - _going_count(event, occurrence_start)
    waiting = Rsvp.objects.filter(
        event=event, occurrence_start=occurrence_start, waiting=True
    ).order_by("answered_at", "pk")
    if places is not None:
        waiting = waiting[: max(places, 0)]
    promoted = list(waiting)
    for rsvp in promoted:
        rsvp.waiting = False
        rsvp.save(update_fields=["waiting"])
    for rsvp in promoted:
        transaction.on_commit(lambda pk=rsvp.pk: _send_promoted(pk))
    return promoted


@transaction.atomic
def rsvp_answer(
    *, event: Event, user, answer: str, occurrence_start: datetime | None = None
) -> Rsvp:
    """Answer going, maybe or not going to one occurrence. Beyond the capacity a
    "going" waits; a place freed goes to the longest-waiting. The event's row lock
    orders concurrent answers, so the capacity holds."""
    if not access.can(user, "event.view", event):
        raise Http404
    access.require(user, "event.rsvp", event)
    if answer not in Rsvp.Answer.values:
        raise ValidationError({"answer": _("Answer going, maybe or not going.")})
    event = Event.objects.select_for_update().get(pk=event.pk)
    occurrence = _occurrence_start_or_error(event, occurrence_start)
    start = occurrence.original_start
    rsvp = Rsvp.objects.filter(event=event, occurrence_start=start, user=user).first()
    was_holding_place = rsvp is not None and rsvp.answer == "going" and not rsvp.waiting
    if rsvp is not None and rsvp.answer == answer:
        return rsvp  # a double click changes nothing
    if rsvp is None:
        rsvp = Rsvp(event=event, occurrence_start=start, user=user)
    rsvp.answer = answer
    rsvp.answered_at = timezone.now()
    rsvp.waiting = (
        answer == Rsvp.Answer.GOING
        and not was_holding_place
        and event.capacity is not None
        and _going_count(event, start) >= event.capacity
    )
    rsvp.save()
    if was_holding_place and answer != Rsvp.Answer.GOING:
        _promote_waiting(event, start)
    event_changed(event, what="answers")
    return rsvp


@transaction.atomic
def rsvp_guest_request(
    *, event: Event, name: str, email: str, occurrence_start: datetime | None = None
) -> Rsvp:
    """A visitor without an account says they come to a public event; it counts
    once they follow the link e-mailed to them (a double request sends a new link)."""
    from django.contrib.auth.models import AnonymousUser

    access.require(AnonymousUser(), "event.rsvp_guest", event)
    name, email = name.strip(), email.strip().lower()
    errors = {}
    if not name:
        errors["name"] = _("Give your name.")
    if not email or "@" not in email:
        errors["email"] = _("Give your e-mail address.")
    if errors:
        raise ValidationError(errors)
    event = Event.objects.select_for_update().get(pk=event.pk)
    start = _occurrence_start_or_error(event, occurrence_start).original_start
    token = secrets.token_urlsafe(24)
    rsvp, _created = Rsvp.objects.update_or_create(
        event=event,
        occurrence_start=start,
        user=None,
        guest_email=email,
        defaults={
            "guest_name": name,
            "guest_token_hash": hash_token(token),
            "answer": Rsvp.Answer.GOING,
            "answered_at": timezone.now(),
        },
    )
    event_changed(event, what="answers")
    transaction.on_commit(lambda: _send_guest_confirmation(rsvp.pk, token))
    return rsvp


@transaction.atomic
def rsvp_guest_confirm(*, token: str) -> Rsvp:
    """Follow the e-mailed link: the guest's answer counts (or waits for a place)."""
    rsvp = (
        Rsvp.objects.select_for_update()
        .filter(user__isnull=True, guest_token_hash=hash_token(token))
        .select_related("event")
        .first()
    )
    if rsvp is None:
        raise ValidationError(_("This link is not valid (any more)."))
    event = Event.objects.select_for_update().get(pk=rsvp.event_id)
    if rsvp.confirmed_at is None:
        rsvp.waiting = (
            event.capacity is not None
            and _going_count(event, rsvp.occurrence_start) >= event.capacity
        )
        rsvp.confirmed_at = timezone.now()
        rsvp.save(update_fields=["confirmed_at", "waiting"])
        event_changed(event, what="answers")
    return rsvp


# --- Feeds ---------------------------------------------------------------------------


@transaction.atomic
def feed_token_regenerate(*, user) -> str:
    """A new secret for the member's private feed; the old URL answers 404 at once.
    Only the hash is stored: the token is shown once."""
    token = secrets.token_urlsafe(32)
    FeedToken.objects.update_or_create(
        user=user, defaults={"token_hash": hash_token(token)}
    )
    audit_record(actor=user, action="agenda.feed_token", target=user)
    return token


def feed_owner(token: str):
    """The member whose feed `token` opens, or None."""
    row = (
        FeedToken.objects.filter(token_hash=hash_token(token or ""))
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


# --- E-mails -------------------------------------------------------------------------


def _send(template: str, context: dict, to: list[str]) -> None:
    subject = render_to_string(f"agenda/emails/{template}_subject.txt", context)
    body = render_to_string(f"agenda/emails/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, to)


def _recipient(rsvp: Rsvp) -> str | None:
    if rsvp.user_id:
        return rsvp.user.email if rsvp.user.is_active else None
    return rsvp.guest_email if rsvp.confirmed_at else None


def _notify_change(event: Event, fields: list[str], occurrence_start=None) -> None:
    from .tasks import event_changed_task

    transaction.on_commit(
        lambda: event_changed_task.delay(
            event.pk, fields, occurrence_start.isoformat() if occurrence_start else None
        )
    )


def event_changed_send(
    *, event_id: int, fields: list[str], occurrence: str | None = None
) -> int:
    """E-mail everyone who answered the event (or that occurrence) what changed."""
    event = Event.objects.filter(pk=event_id).select_related("unit", "group").first()
    if event is None:
        return 0
    answers = Rsvp.objects.filter(event=event).select_related("user")
    if occurrence:
        answers = answers.filter(occurrence_start=datetime.fromisoformat(occurrence))
    emails = sorted({email for r in answers if (email := _recipient(r))})
    context = {"event": event, "fields": fields, "site_url": settings.SITE_URL}
    for email in emails:
        _send("event_changed", context, [email])
    return len(emails)


def _send_promoted(rsvp_id: int) -> None:
    rsvp = Rsvp.objects.filter(pk=rsvp_id).select_related("event", "user").first()
    if rsvp is not None and (email := _recipient(rsvp)):
        _send(
            "place_freed",
            {"event": rsvp.event, "rsvp": rsvp, "site_url": settings.SITE_URL},
            [email],
        )


def _send_guest_confirmation(rsvp_id: int, token: str) -> None:
    from django.urls import reverse

    rsvp = Rsvp.objects.filter(pk=rsvp_id).select_related("event").first()
    if rsvp is None:
        return
    link = settings.SITE_URL + reverse("agenda:guest_confirm", args=[token])
    _send(
        "guest_confirm",
        {"event": rsvp.event, "rsvp": rsvp, "link": link},
        [rsvp.guest_email],
    )


# --- Reminders -----------------------------------------------------------------------


def reminder_lead(rsvp: Rsvp, preferences: dict) -> timedelta | None:
    """How long before its occurrence this answer is reminded (None: never): its own
    choice, else the member's preference, else a day."""
    choice = rsvp.reminder or preferences.get(rsvp.user_id) or Reminder.DAY
    return REMINDER_LEADS.get(choice, REMINDER_LEADS[Reminder.DAY])


@transaction.atomic
def reminder_preference_set(*, user, reminder: str) -> AgendaPreference:
    """When the member is reminded of what they go to, unless an answer says."""
    if reminder not in Reminder.values:
        raise ValidationError({"reminder": _("Choose when to be reminded.")})
    preference, _created = AgendaPreference.objects.update_or_create(
        user=user, defaults={"reminder": reminder}
    )
    audit_record(
        actor=user,
        action="agenda.reminder_preference",
        target=user,
        data={"reminder": reminder},
    )
    return preference


@transaction.atomic
def rsvp_reminder_set(*, rsvp: Rsvp, by, reminder: str) -> Rsvp:
    """This answer's reminder ("": as in the member's preferences)."""
    if rsvp.user_id is None or rsvp.user_id != by.pk:
        raise Http404  # one's own answers only
    if reminder and reminder not in Reminder.values:
        raise ValidationError({"reminder": _("Choose when to be reminded.")})
    rsvp.reminder = reminder
    rsvp.save(update_fields=["reminder"])
    return rsvp


def reminders_send(*, now: datetime | None = None) -> int:
    """E-mail everyone going to an occurrence that starts within their reminder's
    lead (a day, two hours, as they chose; none for some), once: the marker row's
    unique constraint makes a second run (or a second worker) skip the answers
    already reminded. Celery beat runs it every 15 minutes."""
    now = now or timezone.now()
    longest = max(lead for lead in REMINDER_LEADS.values() if lead is not None)
    end = now + longest
    events = (
        Event.objects.filter(
            first_start__lt=end, last_end__gt=now, status=Event.Status.PLANNED
        )
        .select_related("unit", "group")
        .prefetch_related("exceptions")
    )
    due = [o for o in recurrence.expand(events, now, end) if o.start >= now]
    if not due:
        return 0
    by_key = {(o.event.pk, o.original_start): o for o in due}
    answers = list(
        Rsvp.objects.filter(
            event_id__in={o.event.pk for o in due},
            occurrence_start__in={o.original_start for o in due},
            answer=Rsvp.Answer.GOING,
            waiting=False,
        )
        .exclude(user__isnull=True, confirmed_at__isnull=True)
        .exclude(pk__in=ReminderSent.objects.values("rsvp_id"))
        .select_related("user")
    )
    preferences = dict(
        AgendaPreference.objects.filter(
            user_id__in={r.user_id for r in answers if r.user_id}
        ).values_list("user_id", "reminder")
    )
    sent = 0
    for rsvp in answers:
        occurrence = by_key.get((rsvp.event_id, rsvp.occurrence_start))
        lead = reminder_lead(rsvp, preferences)
        email = _recipient(rsvp)
        if occurrence is None or email is None or lead is None:
            continue
        if occurrence.start - lead > now:
            continue  # not yet: a later run reminds it
        try:
            with transaction.atomic():
                ReminderSent.objects.create(rsvp=rsvp)
        except IntegrityError:
            continue  # reminded already (another run, another worker)
        _send(
            "reminder",
            {"occurrence": occurrence, "event": occurrence.event, "rsvp": rsvp},
            [email],
        )
        sent += 1
    return sent
