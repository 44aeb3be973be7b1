"""API routes of the agenda, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("events/", api.EventList.as_view(), name="api-events"),
    path("events/<uuid:public_id>/", api.EventDetail.as_view(), name="api-event"),
    path(
        "events/<uuid:public_id>/cancel/",
        api.EventCancel.as_view(),
        name="api-event-cancel",
    ),
    path(
        "events/<uuid:public_id>/rsvp/", api.EventRsvp.as_view(), name="api-event-rsvp"
    ),
    path("occurrences/", api.OccurrenceList.as_view(), name="api-occurrences"),
]
