"""What every use of the shared cache for speed has in common: it is never needed.

A cache error (Redis down, a timeout) turns into the caller's default, and the
caller goes to the database, which stays the source of truth.
"""

import functools
import logging

logger = logging.getLogger(__name__)


def guarded(default=None):
    """Decorate a function that only reads or writes the cache: errors give
    `default` (logged), never an error page."""

    def wrap(function):
        @functools.wraps(function)
        def guarded_call(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the cache down is a miss, not an error
                logger.warning(
                    "Cache unavailable in %s", function.__name__, exc_info=True
                )
                return default

        return guarded_call

    return wrap
