"""WebSocket routes, served by the ASGI server under /ws/."""

from django.urls import path

from organising.messaging.consumers import LiveConsumer

websocket_urlpatterns: list = [
    # One authenticated socket per browser tab (messaging: timelines, conversations,
    # notification counts).
    path("ws/", LiveConsumer.as_asgi(), name="live"),
]
