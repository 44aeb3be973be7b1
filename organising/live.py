"""Announcements to open WebSockets through the channel layer.

The database is the source of truth; the channel layer only announces. A failure here
(Redis down) must never break the write that triggered it, so it is logged and dropped:
clients catch up from the database when they reconnect."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def announce(group: str, event: dict) -> bool:
    """Send `event` to a channel-layer group; False (and a log line) if it failed."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - any transport error pauses live delivery only
        logger.warning("Live announcement to %s failed", group, exc_info=True)
        return False
    return True


def close_user_sockets(user_id: int) -> bool:
    """Tell every open socket of the user to close (logout, revoked access)."""
    return announce(user_group(user_id), {"type": "auth.revoked"})
