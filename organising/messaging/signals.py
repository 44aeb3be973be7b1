"""Logging out of one browser closes that browser's live sockets at once (logging out
everywhere already does it through `organising.live.close_user_sockets`)."""

import hashlib

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.dispatch import receiver

from organising.live import announce, user_group


def session_key_digest(session_key: str | None) -> str:
    """What travels through the channel layer instead of a session key."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()


@receiver(user_logged_out)
def close_session_sockets(sender, request, user, **kwargs):
    if user is None or request is None or not hasattr(request, "session"):
        return
    digest = session_key_digest(request.session.session_key)
    user_id = user.pk
    transaction.on_commit(
        lambda: announce(
            user_group(user_id), {"type": "session.ended", "session": digest}
        ),
        robust=True,
    )
