"""Template filters for amounts in cents and rates in basis points."""

from decimal import Decimal

from django import template
from django.utils.formats import get_format, number_format

from federation import access

register = template.Library()


@register.filter
def euros(cents) -> str:
    """12345 -> "123,45 €" (in the active language's number format; a no-break
    space keeps the sign with the figure). What `number_format(value, 2,
    force_grouping=True)` writes, in integer arithmetic: a national report shows
    some 700 amounts, and number_format took a fifth of its time."""
    if cents is None or cents == "":
        return "—"
    cents = int(cents)
    whole, fraction = divmod(abs(cents), 100)
    grouping = get_format("NUMBER_GROUPING")
    digits = str(whole)
    if isinstance(grouping, int) and grouping > 0:
        groups = []
        while len(digits) > grouping:
            groups.insert(0, digits[-grouping:])
            digits = digits[:-grouping]
        digits = get_format("THOUSAND_SEPARATOR").join([digits, *groups])
    elif grouping:  # a sequence of group sizes (rare): Django's own formatting
        value = Decimal(cents) / 100
        return f"{number_format(value, 2, use_l10n=True, force_grouping=True)}\u00a0€"
    sign = "-" if cents < 0 else ""
    decimal = get_format("DECIMAL_SEPARATOR")
    return f"{sign}{digits}{decimal}{fraction:02d}\u00a0€"


@register.filter
def percent_bp(basis_points) -> str:
    """250 -> "2,5 %"."""
    if basis_points is None:
        return "—"
    value = Decimal(int(basis_points)) / 100
    return f"{number_format(value.normalize(), use_l10n=True)} %"


@register.filter
def sub(a, b) -> int:
    return int(a) - int(b)


@register.simple_tag(takes_context=True)
def has_own_dues(context) -> bool:
    """Whether the navigation links the member's own dues page (`dues.own.view`:
    adherents, and former members, who keep their payments and receipts)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and access.can(user, "dues.own.view", user)


@register.simple_tag
def keeps_dues(viewer) -> bool:
    """Whether the navigation shows the treasurer's pages (no query: the viewer has
    the offices already)."""
    if not isinstance(viewer, access.Viewer):
        return False
    return access.can_somewhere(viewer, "dues.report")
