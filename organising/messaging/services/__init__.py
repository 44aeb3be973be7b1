"""Every write of the messaging capability and every rule it follows.

Who may see or do what is asked of `federation.access`; this module only applies it.
Live announcements and e-mails leave through `transaction.on_commit`.

The package is split by topic; every name is re-exported here while imports move to
the topic modules (`from organising.messaging.services.posts import ...`)."""

from .common import (  # noqa: F401
    DOUBLE_SUBMIT_WINDOW,
    MAX_MENTIONS,
    UNIT_AUDIENCES,
    _clean_body,
    _render,
    _silenced,
    handle_for,
)
from .conversations import (  # noqa: F401
    _participant,
    conversation_add,
    conversation_leave,
    conversation_read,
    conversation_start,
    message_send,
)
from .moderation import (  # noqa: F401
    post_report,
    report_resolve,
)
from .notifications import (  # noqa: F401
    EMAIL_BATCH,
    IMMEDIATE_EMAIL_DELAY,
    _email_digest,
    _unread_messages,
    notification_create,
    notification_emails_send,
    notification_settings_set,
    notifications_read,
)
from .posts import (  # noqa: F401
    _changed,
    _check_audience,
    _notify_mentions,
    _publication_unit,
    _store_text,
    post_boost,
    post_create,
    post_delete,
    post_edit,
    post_hide,
    post_react,
    post_relay,
    post_unhide,
)
from .relations import (  # noqa: F401
    relation_set,
)

__all__ = [
    "MAX_MENTIONS",
    "DOUBLE_SUBMIT_WINDOW",
    "UNIT_AUDIENCES",
    "handle_for",
    "_render",
    "_clean_body",
    "_silenced",
    "conversation_start",
    "_participant",
    "message_send",
    "conversation_read",
    "conversation_leave",
    "conversation_add",
    "post_report",
    "report_resolve",
    "notification_create",
    "notifications_read",
    "notification_settings_set",
    "IMMEDIATE_EMAIL_DELAY",
    "EMAIL_BATCH",
    "notification_emails_send",
    "_email_digest",
    "_unread_messages",
    "_check_audience",
    "_publication_unit",
    "_store_text",
    "_notify_mentions",
    "post_create",
    "_changed",
    "post_edit",
    "post_delete",
    "post_hide",
    "post_unhide",
    "post_react",
    "post_relay",
    "post_boost",
    "relation_set",
]
