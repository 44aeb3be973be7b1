"""Template helpers of the messaging pages."""

import functools

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
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
def stream_since(ids) -> int:
    """The newest post id of a page (what a reconnecting socket asks after)."""
    return max(ids, default=0)


REACTION_NAMES = {
    "like": _("Like"),
    "love": _("Love"),
    "fist": _("Solidarity"),
    "laugh": _("Funny"),
    "sad": _("Sad"),
}


@functools.cache
def _reaction_button_start(language: str, kind: str, label: str, mine: bool) -> str:
    """The escaped opening of one button, made once per language and state."""
    name = REACTION_NAMES.get(kind, kind)
    return format_html(
        # No aria-label: the accessible name must contain what is shown ("✊ 1"),
        # so the name is spoken from hidden text next to the emoji and the count.
        '<button type="submit" name="reaction" value="{}.{}" class="reaction{}" '
        'aria-pressed="{}" title="{}">{}<span class="visually-hidden"> {}</span>',
        kind,
        "0" if mine else "1",
        " mine" if mine else "",
        "true" if mine else "false",
        name,
        label,
        name,
    )


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


def reaction_buttons(reaction_list) -> str:
    """The reaction buttons of a post (thirty cards a page, five buttons a card: the
    fixed parts are escaped once per language, only the counts per card)."""
    language = get_language()
    return mark_safe(  # noqa: S308 - escaped parts and integers
        "".join(
            _reaction_button_start(language, kind, label, mine)
            + (f' <span class="count">{int(count)}</span>' if count else "")
            + "</button>"
            for kind, label, count, mine in reaction_list
        )
    )
