"""Web pages of the agenda: my agenda (month, week, list), a unit's, the public one;
an event's page, its form, answers (htmx from the month view), attendees and their
CSV, iCalendar feeds and downloads, the import of an .ics file."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from federation import access
from federation.models import Group, Unit
from organising.web import show_errors

from . import cards as agenda_cards
from . import ical, recurrence, selectors, services, windows
from .forms import (
    EventForm,
    GuestRsvpForm,
    ImportForm,
    ReminderPreferenceForm,
    RsvpForm,
    RsvpReminderForm,
)
from .models import AgendaPreference, Event, FeedToken, Reminder, Rsvp

VIEWS = ("month", "week", "list")
MONTH_PER_DAY = 3
WEEK_PER_DAY = 12
LIST_PAGE = 50


def _list_page(entries, tz):
    """The first LIST_PAGE entries, cut at a day's start so that the next page
    (from that day) repeats nothing; (shown, the next page's day or None)."""
    if len(entries) <= LIST_PAGE:
        return entries, None

    def day_of(entry):
        return selectors.entry_day(entry, tz)

    next_day = day_of(entries[LIST_PAGE])
    shown = [e for e in entries[:LIST_PAGE] if day_of(e) < next_day]
    if not shown:  # one day holds more than a page: show it whole, go on the next day
        shown = [e for e in entries if day_of(e) == next_day]
        next_day = next_day + timedelta(days=1)
    return shown, next_day


def _event_or_404(request, public_id) -> Event:
    return access.get_visible_or_404(
        request.user,
        Event.objects.select_related(
            "unit", "group", "audience_unit", "audience_group"
        ).prefetch_related("exceptions"),
        public_id=public_id,
    )


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _calendar(request, events, *, title: str, base_url: str, unit=None, **extra):
    """The month, week or list of `events` around ?day=, filtered by ?kind= and
    ?unit= (a unit's slug)."""
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    day = _day(request)
    tz = timezone.get_current_timezone()
    kind = request.GET.get("kind") or None
    kind = kind if kind in Event.Kind.values else None
    filter_unit = None
    if request.GET.get("unit"):
        filter_unit = Unit.objects.filter(slug=request.GET["unit"]).first()
    weeks, days = [], []
    if view == "month":
        start, end, weeks = selectors.month_bounds(day, tz)
        previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (day.replace(day=28) + timedelta(days=5)).replace(day=1)
    elif view == "week":
        start, end, days = selectors.week_bounds(day, tz)
        previous, following = day - timedelta(days=7), day + timedelta(days=7)
    else:
        start = datetime.combine(day, datetime.min.time(), tz)
        end = start + timedelta(days=62)
        previous, following = day - timedelta(days=62), day + timedelta(days=62)
    found = selectors.agenda(
        request.user, events, start=start, end=end, kind=kind, unit=filter_unit
    )
    # Every page is bounded: a few cards a day in the month, more in the week, a
    # page of the list; "n more" links lead to the longer views. Only the entries
    # shown become occurrences (their events loaded, answers and counts read).
    by_day = found.by_day(tz)
    later = None
    if view == "list":
        shown_entries, later = _list_page(found.entries, tz)
        chosen = {None: shown_entries}
    else:
        per_day = MONTH_PER_DAY if view == "month" else WEEK_PER_DAY
        chosen = {d: entries[:per_day] for d, entries in by_day.items()}
    taken = {
        (o.event.pk, o.original_start): o
        for o in found.take([e for day in chosen.values() for e in day])
    }
    shown = {
        d: [taken[key] for e in day if (key := _taken_key(e)) in taken]
        for d, day in chosen.items()
    }
    cards = agenda_cards.render(
        request,
        [found.item(o) for d in shown.values() for o in d],
        compact=view == "month",
    )

    language = translation.get_language()

    def cell(d):
        return {
            "day": d,
            "labels": _day_labels(d, language),
            "cards": [cards[id(o)] for o in shown.get(d, [])],
            "more": max(0, len(by_day.get(d, [])) - len(shown.get(d, []))),
        }

    context = {
        "title": title,
        "base_url": base_url,
        "view": view,
        "day": day,
        "today": timezone.localdate(),
        "weeks": [[cell(d) for d in week] for week in weeks],
        "days": [cell(d) for d in days],
        "agenda": found,
        "list_cards": [(o, cards[id(o)]) for o in shown.get(None, [])],
        "later": later,
        "previous": previous,
        "following": following,
        "kind": kind,
        "kinds": Event.Kind.choices,
        "filter_unit": filter_unit,
        "filter_units": _filter_units(request.user),
        "unit": unit,
        "live_units": _live_units(
            request.user, unit or getattr(extra.get("group"), "unit", None)
        ),
        **extra,
    }
    return render(request, "agenda/agenda.html", context)


def _live_units(user, unit) -> list[int]:
    """The units whose "agenda" topic the page watches (organising/agenda/live.py):
    a unit's agenda, its own; my agenda, my units. Signed-in members only."""
    if not user.is_authenticated:
        return []
    if unit is not None:
        return [unit.pk]
    return [u.pk for u in _filter_units(user)]


def _taken_key(entry) -> tuple:
    return (entry[windows.EVENT], windows.moment(entry[windows.ORIGINAL]))


def _filter_units(user) -> list[Unit]:
    """My units (home chain and offices), read once per request."""
    kept = getattr(user, "_agenda_units", None)
    if kept is not None:
        return kept
    viewer = access.viewer_for(user)
    ids = set(viewer.home_chain_ids) | set(viewer.office_unit_ids)
    units = list(Unit.objects.filter(pk__in=ids).order_by("path")) if ids else []
    if user.is_authenticated:
        user._agenda_units = units
    return units


@functools.lru_cache(maxsize=2048)
def _day_labels(day: date, language: str) -> dict:
    """What a day's cell prints (formatting dates is a good part of a month's
    rendering; the labels depend on the day and the language only)."""
    return {
        "iso": day.isoformat(),
        "long": formats.date_format(day, "l j F"),
        "name": formats.date_format(day, "D"),
        "number": day.day,
        "month": formats.date_format(day, "M"),
    }


@login_required
@require_GET
def mine(request):
    can_create = [
        u
        for u in _filter_units(request.user)
        if access.can(request.user, "event.create", u)
    ]
    return _calendar(
        request,
        selectors.mine(request.user),
        title=_("My agenda"),
        base_url=reverse("agenda:mine"),
        can_create=can_create,
        show_feed=True,
    )


@require_GET
def public(request):
    return _calendar(
        request,
        selectors.public(request.user),
        title=_("Public agenda"),
        base_url=reverse("agenda:public"),
    )


@require_GET
def unit_agenda(request, slug):
    unit = get_object_or_404(Unit.objects.select_related("level"), slug=slug)
    return _calendar(
        request,
        selectors.of_unit(request.user, unit),
        title=_("Agenda of %(unit)s") % {"unit": unit.name},
        base_url=reverse("agenda:unit", args=[unit.slug]),
        unit=unit,
        can_create=[unit] if access.can(request.user, "event.create", unit) else [],
    )


@require_GET
def group_agenda(request, slug):
    group = get_object_or_404(Group.objects.select_related("unit"), slug=slug)
    return _calendar(
        request,
        selectors.of_group(request.user, group),
        title=_("Agenda of %(group)s") % {"group": group.name},
        base_url=reverse("agenda:group", args=[group.slug]),
        group=group,
        can_create_group=access.can(request.user, "event.create", group),
    )


@require_GET
def group_next(request, slug):
    """A group page's block of its coming events (loaded by htmx)."""
    group = get_object_or_404(Group, slug=slug)
    now = timezone.now()
    found = selectors.agenda(
        request.user,
        selectors.of_group(request.user, group),
        start=now,
        end=now + timedelta(days=90),
    )
    found.take(found.entries[:5], with_counts=False)
    return render(
        request, "agenda/_group_next.html", {"group": group, "items": found.items}
    )


@login_required
@require_GET
def near_me(request):
    """Public and party events nearest my commune first; a map when a tile server
    is configured (and events carry a position)."""
    from django.conf import settings

    from . import nearby

    found = nearby.near(request.user)
    tiles = settings.MAP_TILES_URL
    return render(
        request,
        "agenda/near.html",
        {
            "nearby": found,
            "bands": {
                nearby.HERE: _("In my commune"),
                nearby.DEPARTEMENT: _("In my département"),
                nearby.ELSEWHERE: _("Elsewhere"),
            },
            "map_tiles": tiles,
            "map_attribution": settings.MAP_TILES_ATTRIBUTION,
            "markers": nearby.markers(found) if tiles else [],
        },
    )


@login_required
@require_GET
def next_events(request):
    """The home page's block of what comes next (loaded by htmx, never stored with
    the cached home page)."""
    found = selectors.next_occurrences(request.user)
    return render(request, "agenda/_next.html", {"items": found.items})


@require_GET
def unit_next(request, slug):
    """A unit page's block of its coming events (loaded by htmx)."""
    unit = get_object_or_404(Unit, slug=slug)
    now = timezone.now()
    found = selectors.agenda(
        request.user,
        selectors.of_unit(request.user, unit),
        start=now,
        end=now + timedelta(days=90),
    )
    found.take(found.entries[:5], with_counts=False)
    return render(
        request, "agenda/_unit_next.html", {"unit": unit, "items": found.items}
    )


@require_GET
def occurrence_card(request, public_id):
    """One occurrence's card, as the agenda pages show it (fetched again when the
    event changes: static/js/agenda-live.js); empty when the occurrence is gone."""
    event = _event_or_404(request, public_id)
    try:
        occurrence = _occurrence_of(request, event)
    except Http404:
        return HttpResponse("")
    found = selectors.Agenda(
        user=request.user, start=occurrence.start, end=occurrence.end, entries=[]
    )
    found.load([occurrence])
    item = found.item(occurrence)
    return render(
        request,
        "agenda/_occurrence.html",
        {"item": item, "compact": bool(request.GET.get("compact"))},
    )


def _occurrence_of(request, event: Event):
    key = request.GET.get("at") or request.POST.get("occurrence")
    if key:
        moment = recurrence.parse_key(key)
        occurrence = moment and recurrence.occurrence_at(event, moment)
        if occurrence is None:
            raise Http404
        return occurrence
    now = timezone.now()
    upcoming = recurrence.occurrences(
        event,
        now,
        max(event.last_end, now) + timedelta(seconds=1),
        event.exceptions.all(),
    )
    if upcoming:
        return upcoming[0]
    return recurrence.occurrence_at(event, event.starts_at) or recurrence.Occurrence(
        event, event.starts_at, event.starts_at, event.ends_at
    )


@require_GET
def event_detail(request, public_id):
    event = _event_or_404(request, public_id)
    occurrence = _occurrence_of(request, event)
    counts = selectors.answer_counts([event.pk], [occurrence.original_start]).get(
        (event.pk, occurrence.original_start), {}
    )
    answer = None
    if request.user.is_authenticated:
        answer = event.rsvps.filter(
            user=request.user, occurrence_start=occurrence.original_start
        ).first()
    now = timezone.now()
    coming = recurrence.occurrences(
        event, now, now + timedelta(days=180), event.exceptions.all()
    )[:12]
    return render(
        request,
        "agenda/event.html",
        {
            "event": event,
            "occurrence": occurrence,
            "answer": answer,
            "counts": counts,
            "coming": coming,
            "can_edit": access.can(request.user, "event.edit", event),
            "can_rsvp": access.can(request.user, "event.rsvp", event),
            "can_rsvp_guest": access.can(request.user, "event.rsvp_guest", event),
            "can_attendees": access.can(request.user, "event.attendees.view", event),
            "can_submit": access.can(request.user, "event.submit", event)
            and event.submitted_to_id is None,
            "can_publish": access.can(request.user, "event.publish", event),
            "guest_form": GuestRsvpForm(initial={"occurrence": occurrence.key}),
            "reminder_form": RsvpReminderForm(
                initial={"occurrence": occurrence.key, "reminder": answer.reminder}
            )
            if answer is not None and answer.answer == Rsvp.Answer.GOING
            else None,
            "item_for_rsvp": selectors.Item(
                occurrence,
                answer,
                counts,
                can_rsvp=access.can(request.user, "event.rsvp", event),
            ),
        },
    )


def _agenda_of_request(request):
    """The unit (?unit=) or group (?group=) whose agenda gets the new event."""
    if request.GET.get("group"):
        return get_object_or_404(
            Group.objects.select_related("unit"), slug=request.GET["group"]
        )
    slug = request.GET.get("unit")
    if slug:
        return get_object_or_404(Unit, slug=slug)
    home = access.viewer_for(request.user).home
    if home is None:
        raise Http404
    return home


@login_required
def event_create(request):
    agenda = _agenda_of_request(request)
    if not access.can(request.user, "event.create", agenda):
        raise PermissionDenied
    is_group = isinstance(agenda, Group)
    form = EventForm(request.POST or None, group_agenda=is_group)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                by=request.user, agenda=agenda, **form.service_fields()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The event is in the agenda."))
            return redirect(event)
    return render(
        request,
        "agenda/event_form.html",
        {"form": form, "agenda": agenda, "title": _("New event")},
    )


@login_required
def event_edit(request, public_id):
    event = _event_or_404(request, public_id)
    if not access.can(request.user, "event.edit", event):
        raise PermissionDenied
    form = EventForm(
        request.POST or None,
        initial=EventForm.initial_for(event),
        group_agenda=bool(event.group_id),
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        fields["timezone"] = fields.pop("timezone_name")
        try:
            services.event_edit(event=event, by=request.user, **fields)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The event is saved."))
            return redirect(event)
    return render(
        request,
        "agenda/event_form.html",
        {
            "form": form,
            "agenda": event.group or event.unit,
            "event": event,
            "title": _("Edit the event"),
        },
    )


@login_required
@require_POST
def event_status(request, public_id):
    event = _event_or_404(request, public_id)
    try:
        services.event_set_status(
            event=event, by=request.user, status=request.POST.get("status", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(event)


@login_required
@require_POST
def occurrence_cancel(request, public_id):
    event = _event_or_404(request, public_id)
    moment = recurrence.parse_key(request.POST.get("occurrence", ""))
    if moment is None:
        raise Http404
    try:
        services.occurrence_cancel(event=event, by=request.user, original_start=moment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("This occurrence is cancelled."))
    return redirect(event)


@login_required
@require_POST
def event_submit(request, public_id):
    event = _event_or_404(request, public_id)
    services.event_submit(event=event, by=request.user)
    messages.success(
        request, _("The event is submitted to %(unit)s.") % {"unit": event.submitted_to}
    )
    return redirect(event)


@login_required
@require_POST
def event_publish(request, public_id):
    event = _event_or_404(request, public_id)
    services.event_publish(event=event, by=request.user)
    messages.success(request, _("The event is published."))
    return redirect(event)


@login_required
@require_POST
def rsvp(request, public_id):
    """Answer; htmx swaps the occurrence's card, without JS we go back."""
    event = _event_or_404(request, public_id)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    occurrence = _occurrence_of(request, event)
    error = None
    try:
        answer = services.rsvp_answer(
            event=event,
            user=request.user,
            answer=form.cleaned_data["answer"],
            occurrence_start=occurrence.original_start,
        )
    except ValidationError as problem:
        error, answer = " ".join(problem.messages), None
    if request.htmx:
        counts = selectors.answer_counts([event.pk], [occurrence.original_start]).get(
            (event.pk, occurrence.original_start), {}
        )
        item = selectors.Item(
            occurrence,
            answer,
            counts,
            can_rsvp=access.can(request.user, "event.rsvp", event),
        )
        return render(
            request,
            "agenda/_occurrence.html",
            {"item": item, "error": error, "compact": request.POST.get("compact")},
        )
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = event.get_absolute_url()
    return redirect(target)


@login_required
@require_POST
def rsvp_reminder(request, public_id):
    """When to remind me of this answer (my settings, a day, two hours, never)."""
    event = _event_or_404(request, public_id)
    form = RsvpReminderForm(request.POST)
    occurrence = _occurrence_of(request, event)
    answer = Rsvp.objects.filter(
        event=event, user=request.user, occurrence_start=occurrence.original_start
    ).first()
    if answer is None or not form.is_valid():
        messages.error(request, _("Choose when to be reminded."))
    else:
        services.rsvp_reminder_set(
            rsvp=answer, by=request.user, reminder=form.cleaned_data["reminder"]
        )
        messages.success(request, _("Your reminder is saved."))
    return redirect(f"{event.get_absolute_url()}?at={occurrence.key}")


@login_required
def reminder_settings(request):
    """When I am reminded of what I go to, unless an answer says otherwise."""
    current = AgendaPreference.objects.filter(user=request.user).first()
    initial = {"reminder": current.reminder if current else Reminder.DAY}
    form = ReminderPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.reminder_preference_set(
            user=request.user, reminder=form.cleaned_data["reminder"]
        )
        messages.success(request, _("Your reminder setting is saved."))
        return redirect("agenda:reminders")
    return render(request, "agenda/reminders.html", {"form": form})


@require_POST
def rsvp_guest(request, public_id):
    event = _event_or_404(request, public_id)
    form = GuestRsvpForm(request.POST)
    if form.is_valid():
        occurrence = _occurrence_of(request, event)
        try:
            services.rsvp_guest_request(
                event=event,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                occurrence_start=occurrence.original_start,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            return render(request, "agenda/guest_sent.html", {"event": event})
    return render(request, "agenda/guest_form.html", {"event": event, "form": form})


@require_GET
def guest_confirm(request, token):
    try:
        rsvp = services.rsvp_guest_confirm(token=token)
    except ValidationError:
        raise Http404 from None
    return render(request, "agenda/guest_confirmed.html", {"rsvp": rsvp})


@login_required
@require_GET
def attendees(request, public_id):
    event = _event_or_404(request, public_id)
    access.enforce(request.user, "event.attendees.view", event)
    occurrence = _occurrence_of(request, event)
    rows = list(selectors.attendees(event, occurrence.original_start))
    if request.GET.get("format") == "csv":
        return _attendees_csv(request, event, occurrence, rows)
    return render(
        request,
        "agenda/attendees.html",
        {"event": event, "occurrence": occurrence, "rows": rows},
    )


def _attendees_csv(request, event, occurrence, rows):
    from organising import csvexport

    header = [_("Name"), _("E-mail"), _("Answer"), _("Waiting list"), _("Answered at")]
    lines = [
        [
            r.user.display_name if r.user_id else r.guest_name,
            r.user.email if r.user_id else r.guest_email,
            r.get_answer_display(),
            _("yes") if r.waiting else "",
            timezone.localtime(r.answered_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for r in rows
        if r.counts
    ]
    return csvexport.csv_response(
        [header, *lines],
        by=request.user,
        what="agenda.attendees",
        target=event,
        unit=event.owner_unit,
        filename=f"attendees-{event.public_id}-{occurrence.key}.csv",
    )


# --- iCalendar ---------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def event_ics(request, public_id):
    event = _event_or_404(request, public_id)
    return _ics(ical.calendar_of([event], name=event.title), f"{event.public_id}.ics")


@require_GET
def unit_feed(request, slug):
    """A unit's public events, for anyone."""
    from django.contrib.auth.models import AnonymousUser

    unit = get_object_or_404(Unit, slug=slug)
    events = selectors.of_unit(AnonymousUser(), unit).filter(audience="public")
    body = ical.feed_of(ical.feed_events(events), name=unit.name)
    return _ics(body, f"{unit.slug}.ics")


@require_GET
def group_feed(request, slug):
    """A group's public events, for anyone (its other events stay on the site)."""
    from django.contrib.auth.models import AnonymousUser

    group = get_object_or_404(Group, slug=slug)
    events = selectors.of_group(AnonymousUser(), group).filter(audience="public")
    body = ical.feed_of(ical.feed_events(events), name=group.name)
    return _ics(body, f"{group.slug}.ics")


@require_GET
def private_feed(request, token):
    """Everything in the member's agenda; a wrong or replaced token is 404."""
    owner = services.feed_owner(token)
    if owner is None:
        raise Http404
    body = ical.feed_of(ical.feed_events(selectors.mine(owner)), name=_("My agenda"))
    return _ics(body, "agenda.ics")


@login_required
def feed_settings(request):
    """Show the private feed's state; regenerate it (the new URL is shown once)."""
    url = None
    if request.method == "POST":
        token = services.feed_token_regenerate(user=request.user)
        url = request.build_absolute_uri(reverse("agenda:private_feed", args=[token]))
    has_feed = FeedToken.objects.filter(user=request.user).exists()
    return render(request, "agenda/feed.html", {"url": url, "has_feed": has_feed})


@login_required
def import_ics(request, slug):
    unit = get_object_or_404(Unit, slug=slug)
    if not access.can(request.user, "event.create", unit):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = ical.import_ics(
                unit=unit, by=request.user, data=form.cleaned_data["file"].read()
            )
        except ValidationError as error:
            show_errors(form, error)
    return render(
        request, "agenda/import.html", {"unit": unit, "form": form, "report": report}
    )
