"""A view that runs exactly one SQL query: the floor every page is compared with.

It goes through the whole middleware stack (sessions, CSRF, CSP, allauth...) like any
page, but renders no template and checks no permission.
"""

from django.http import HttpRequest, HttpResponse

from federation.models import Unit


def bare(request: HttpRequest) -> HttpResponse:
    name = Unit.objects.filter(depth=1).values_list("name", flat=True).first()
    return HttpResponse(f"ok {name}", content_type="text/plain")
