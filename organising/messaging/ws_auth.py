"""WebSocket authentication for API clients: `Authorization: Bearer <token>`.

Browsers use their session cookie (channels' AuthMiddlewareStack, outside this one);
a native client sends its personal API token in the handshake headers. A token in the
query string is refused on purpose: URLs end up in logs.
"""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser

from members.authentication import user_for_token


class BearerTokenMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        parts = header.split()
        if len(parts) == 2 and parts[0].lower() == b"bearer":
            user, token = await database_sync_to_async(user_for_token)(
                parts[1].decode(errors="replace")
            )
            scope = dict(scope)
            if user is None:
                scope["user"] = AnonymousUser()
            else:
                scope["user"], scope["auth_token_id"] = user, token.pk
        return await super().__call__(scope, receive, send)


class OriginOrBearerValidator:
    """The Origin check stops other sites' pages from opening a socket with the
    visitor's session cookie. A native client sends no Origin but an
    `Authorization: Bearer` header, which no web page can set on a WebSocket and
    which replaces the cookie (BearerTokenMiddleware): it needs no Origin check."""

    def __init__(self, application) -> None:
        self.application = application
        self.origin_checked = AllowedHostsOriginValidator(application)

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        bearer = headers.get(b"authorization", b"").lower().startswith(b"bearer ")
        if bearer and b"origin" not in headers:
            return await self.application(scope, receive, send)
        return await self.origin_checked(scope, receive, send)
