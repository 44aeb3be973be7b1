"""ASGI entry point: pages over HTTP and the live WebSocket under /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "organising.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from organising.messaging.ws_auth import (  # noqa: E402
    BearerTokenMiddleware,
    OriginOrBearerValidator,
)
from organising.routing import websocket_urlpatterns  # noqa: E402
from organising.startup import settle  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Session cookie for browsers; `Authorization: Bearer` for API clients.
        # Origin checked, except for a native client's Bearer handshake.
        "websocket": OriginOrBearerValidator(
            AuthMiddlewareStack(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

settle()
