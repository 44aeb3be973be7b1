"""Live agenda pages over the tab's one socket (`organising.topics`).

Two topics, registered from `AgendaConfig.ready`:

- "event" (id: the event's pk), watched by the event's page. Whoever may view the
  event (`event.view`, the policy module) joins `agenda.event.<pk>`.
- "agenda" (id: a unit's pk), watched by agenda pages for the units they show (my
  agenda: my units; a unit's agenda: that unit). A member joins one channel group
  per audience of that unit they are in: `agenda.unit.<pk>.<audience>` (public,
  party, unit, unit_tree, officers) and `agenda.unit.<pk>.group.<group pk>` for the
  unit's groups they see. An event is announced to the one group of its own
  audience (its audience unit, else its owner unit), so it reaches exactly the
  sockets of those who see it: the same per-event audience check as posts, made
  when the socket watches and again whenever the member's rights change.

Events only say which event changed ({"event": public id, "what": "event" or
"answers"}); the page fetches the changed card or fragment through the ordinary,
access-checked views (the database stays the truth).
"""

from __future__ import annotations

from federation.models import Audience
from organising import topics

UNIT_AUDIENCES = (
    Audience.PUBLIC,
    Audience.PARTY,
    Audience.UNIT,
    Audience.UNIT_TREE,
    Audience.OFFICERS,
)


def event_group(event_id: int) -> str:
    return f"agenda.event.{event_id}"


def audience_group(event) -> str:
    """The channel group of the event's audience (see the module's docstring)."""
    if event.audience == Audience.GROUP:
        group = event.audience_group or event.group
        return f"agenda.unit.{group.unit_id}.group.{group.pk}"
    unit_id = event.audience_unit_id or event.unit_id or event.group.unit_id
    return f"agenda.unit.{unit_id}.{event.audience}"


def _event_groups(user, ref: int) -> list[str] | None:
    from federation import access

    from .models import Event

    event = (
        Event.objects.filter(pk=ref)
        .select_related("audience_unit", "audience_group")
        .first()
    )
    if event is None or not access.can(user, "event.view", event):
        return None
    return [event_group(event.pk)]


def _agenda_groups(user, ref: int) -> list[str] | None:
    from federation import access
    from federation.models import Group, Unit

    unit = Unit.objects.filter(pk=ref).only("id", "path", "depth").first()
    if unit is None:
        return None
    viewer = access.viewer_for(user)
    groups = [
        f"agenda.unit.{unit.pk}.{audience}"
        for audience in UNIT_AUDIENCES
        if viewer.sees(audience, unit, None)
    ]
    for group in Group.objects.filter(unit=unit).only("id", "unit_id"):
        if viewer.sees(Audience.GROUP, None, group):
            groups.append(f"agenda.unit.{unit.pk}.group.{group.pk}")
    return groups


def register() -> None:
    topics.register(topics.Topic("event", groups=_event_groups))
    topics.register(topics.Topic("agenda", groups=_agenda_groups))


def announce_event(event, *, what: str = "event") -> None:
    """Tell the event's page and the agenda pages of its audience, after commit."""
    payload = {"event": str(event.public_id), "what": what}
    topics.announce(event_group(event.pk), "event", event.pk, payload)
    unit_id = int(audience_group(event).split(".")[2])
    topics.announce(audience_group(event), "agenda", unit_id, payload)
