"""Template helpers of the messaging pages."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import pagecache

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


def unread_badge_html(kind: str, count: int) -> str:
    return format_html(
        '<span class="badge" data-live-count="{}"{}>'
        '<span class="visually-hidden">{} </span>{}</span>',
        kind,
        "" if count else " hidden",
        gettext("unread:"),
        count,
    )


@register.filter
def stream_since(items) -> int:
    """The newest post id of a page (what a reconnecting socket asks after)."""
    return max((item.pk for item in items), default=0)


REACTION_NAMES = {
    "like": _("Like"),
    "love": _("Love"),
    "fist": _("Solidarity"),
    "laugh": _("Funny"),
    "sad": _("Sad"),
}


@register.simple_tag
def reaction_buttons(post) -> str:
    """The reaction buttons of a post (built here rather than in a template loop:
    thirty cards a page, five buttons a card)."""
    return format_html_join(
        "",
        '<button type="submit" name="reaction" value="{}.{}" class="reaction{}" '
        'aria-pressed="{}" aria-label="{}" title="{}">{}{}</button>',
        (
            (
                kind,
                "0" if mine else "1",
                " mine" if mine else "",
                "true" if mine else "false",
                REACTION_NAMES.get(kind, kind),
                REACTION_NAMES.get(kind, kind),
                label,
                format_html(' <span class="count">{}</span>', count) if count else "",
            )
            for kind, label, count, mine in getattr(post, "reaction_list", ())
        ),
    )
