"""Small HTML fragments rendered both by the template tags (a page rendered for one
reader) and by the page store (the holes of a stored page or card filled for each
reader). They import neither, so the page store and the tags do not import each
other."""

import functools

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _


def unread_badge_html(kind: str, count: int) -> str:
    return format_html(
        '<span class="badge" data-live-count="{}"{}>'
        '<span class="visually-hidden">{} </span>{}</span>',
        kind,
        "" if count else " hidden",
        gettext("unread:"),
        count,
    )


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
