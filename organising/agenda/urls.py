"""Web routes of the agenda, mounted under /agenda/."""

from django.urls import path

from . import views

app_name = "agenda"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("next/", views.next_events, name="next"),
    path("public/", views.public, name="public"),
    path("near/", views.near_me, name="near"),
    path("units/<slug:slug>/", views.unit_agenda, name="unit"),
    path("units/<slug:slug>/next/", views.unit_next, name="unit_next"),
    path("units/<slug:slug>/feed.ics", views.unit_feed, name="unit_feed"),
    path("units/<slug:slug>/import/", views.import_ics, name="import"),
    path("groups/<slug:slug>/", views.group_agenda, name="group"),
    path("groups/<slug:slug>/next/", views.group_next, name="group_next"),
    path("groups/<slug:slug>/feed.ics", views.group_feed, name="group_feed"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<uuid:public_id>/", views.event_detail, name="event"),
    path("events/<uuid:public_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<uuid:public_id>/status/", views.event_status, name="event_status"),
    path(
        "events/<uuid:public_id>/occurrence/cancel/",
        views.occurrence_cancel,
        name="occurrence_cancel",
    ),
    path("events/<uuid:public_id>/submit/", views.event_submit, name="event_submit"),
    path("events/<uuid:public_id>/publish/", views.event_publish, name="event_publish"),
    path("events/<uuid:public_id>/card/", views.occurrence_card, name="card"),
    path("events/<uuid:public_id>/rsvp/", views.rsvp, name="rsvp"),
    path(
        "events/<uuid:public_id>/reminder/", views.rsvp_reminder, name="rsvp_reminder"
    ),
    path("events/<uuid:public_id>/guest/", views.rsvp_guest, name="rsvp_guest"),
    path("events/<uuid:public_id>/attendees/", views.attendees, name="attendees"),
    path("events/<uuid:public_id>/event.ics", views.event_ics, name="event_ics"),
    path("guest/confirm/<str:token>/", views.guest_confirm, name="guest_confirm"),
    path("feed/", views.feed_settings, name="feed"),
    path("reminders/", views.reminder_settings, name="reminders"),
    path("feed/<str:token>.ics", views.private_feed, name="private_feed"),
]
