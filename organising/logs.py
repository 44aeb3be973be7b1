"""Logging filters: one line per request, tracebacks only for server errors."""

import logging


class OneLinePerRequest(logging.Filter):
    """Drop django.request's warnings for 4xx answers (the server's access line
    already says "GET /x 404"; a refused request is not a fault), so a 403 no longer
    prints a traceback; 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (
            record.name == "django.request" and status is not None and status < 500
        )
