"""Template helpers of the messaging pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import pagecache
from ..fragments import reaction_buttons, unread_badge_html

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_badge(context, kind: str) -> str:
    """The nav badge of unread messages or notifications; a hole filled at each
    read when the page is rendered to be stored (`pagecache.HOLES`)."""
    if context.get("page_holes"):
        return format_html(pagecache.UNREAD_HOLE, kind=kind)
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return unread_badge_html(kind, pagecache.unread_counts(request)[kind])


@register.filter
def stream_since(ids) -> int:
    """The newest post id of a page (what a reconnecting socket asks after)."""
    return max(ids, default=0)


@register.simple_tag(takes_context=True)
def card_reactions(context, post) -> str:
    """The reaction buttons of a card; a hole when the card is rendered for every
    reader (`pagecache.timeline_cards`)."""
    if context.get("card_holes"):
        return mark_safe(pagecache.REACTIONS_HOLE)  # noqa: S308 - a constant comment
    return reaction_buttons(getattr(post, "reaction_list", ()))


@register.simple_tag(takes_context=True)
def timeline_cards(context, page) -> str:
    """The cards of a timeline page, each rendered once for all its readers."""
    return mark_safe(  # noqa: S308 - rendered templates
        pagecache.timeline_cards(
            page.ids, context["request"].user, context.get("csrf_token", "")
        )
    )
