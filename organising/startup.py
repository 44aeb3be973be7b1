"""What a server process does once the application is loaded."""

import gc

from django.urls import get_resolver


def settle() -> None:
    """Load the URL patterns now rather than in the first request, then put every
    object loaded so far out of the garbage collector's reach. Modules, settings and
    patterns never become garbage, yet a full collection of a loaded process walks
    them all: about 120 ms (180,000 objects) during which a request waits, every few
    dozen requests (bench/messaging/live.py saw one post in eight take 200 ms)."""
    get_resolver().url_patterns  # noqa: B018 - loads them
    gc.collect()
    gc.freeze()
