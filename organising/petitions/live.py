"""The "petition" topic (organising/topics.py): a page watching a petition hears
its confirmed count move. Anonymous visitors have no socket; their page polls the
count endpoint instead (views.count)."""

from organising import topics


def group_name(petition_id: int) -> str:
    return f"petition.{petition_id}"


def _groups(user, petition_id: int) -> list[str] | None:
    from federation import access

    from .models import Petition

    petition = Petition.objects.filter(pk=petition_id).select_related("unit").first()
    if petition is None or not access.can(user, "petition.view", petition):
        return None
    return [group_name(petition_id)]


def register_topic() -> None:
    topics.register(topics.Topic("petition", groups=_groups))
