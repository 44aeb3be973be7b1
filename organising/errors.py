"""The site's own 404 page under DEBUG too.

Django shows its technical 404 page whenever DEBUG is on, so `make run` answered every
wrong address with a yellow developer's page. Browsers (HTML) get the site's translated
404 page in its layout instead; the API keeps its JSON answers.
"""

from django.conf import settings
from django.http import Http404
from django.views.defaults import page_not_found


class SiteNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # No URL matched (the resolver's 404 never reaches process_exception).
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and response.get("Content-Type", "").startswith("text/html")
            and _wants_html(request)
        ):
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and _wants_html(request):
            return page_not_found(request, exception)
        return None


def _wants_html(request) -> bool:
    return not request.path.startswith("/api/")
