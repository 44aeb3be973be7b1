"""The navigation's live badge on "Agenda": which units' agendas a page watches."""

from django import template

from federation import access

register = template.Library()


@register.simple_tag(takes_context=True)
def agenda_units(context) -> str:
    """My units (home chain and offices), comma-separated, for the "agenda" topic
    (organising/agenda/live.py); empty when signed out. No query: the page has
    read the viewer already (or reads it from the cache)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    viewer = access.viewer_for(user)
    ids = sorted(set(viewer.home_chain_ids) | set(viewer.office_unit_ids))
    return ",".join(str(pk) for pk in ids[:8])
