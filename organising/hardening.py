"""Two answers every request gets, whatever view serves it."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _


class NulByteMiddleware:
    """A NUL byte in the address (`?q=%00`, `/timeline/tags/%00/`) is refused with
    400 before any view reads it: PostgreSQL refuses NUL in text, which surfaced as
    a 500 wherever a parameter reached a query."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(raw):
            message = _("The address holds a NUL character.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class PrivateCacheMiddleware:
    """What a signed-in person (session or API token) is shown is theirs alone: no
    shared cache (a proxy, a CDN) may keep it, and the browser keeps no copy on
    disk. A response that already says how it may be cached keeps its directives
    but becomes private."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = getattr(user, "is_authenticated", False)
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            if response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)  # drops "public"
            else:
                patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response
