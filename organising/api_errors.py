"""API errors as JSON: 400 names the field, 401/403/404 say what happened."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from organising.ratelimits import RateLimited


def exception_handler(exc, context):
    # Services raise Django's ValidationError for domain rules; answer 400 with fields.
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): [
                    str(m) for e in errors for m in e.messages
                ]
                for field, errors in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404 | OverflowError):
        # OverflowError: SQLite cannot even compare an id past 2**63 (PostgreSQL finds
        # nothing); no such row can exist.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RateLimited):  # 429 with Retry-After
        exc = exceptions.Throttled(wait=exc.retry_after)
    return drf_exception_handler(exc, context)
