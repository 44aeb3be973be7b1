"""Template helpers of the messaging pages."""

from django import template

from ..selectors import unread_counts as _unread_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_counts(context) -> dict[str, int]:
    """Unread notifications and messages of the signed-in member (two small queries,
    computed once per request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications": 0, "messages": 0}
    cached = getattr(request, "_messaging_unread", None)
    if cached is None:
        cached = request._messaging_unread = _unread_counts(user.pk)
    return cached


@register.filter
def stream_since(items) -> int:
    """The newest post id of a page (what a reconnecting socket asks after)."""
    return max((item.pk for item in items), default=0)
