"""Occurrence cards of the agenda pages, rendered once per version and kept.

A month shows up to a hundred cards, and Django's templates cost over a millisecond
each. A card depends only on its event's version (replaced by every change to the
event, its exceptions or its answers: `services.event_changed`), the occurrence,
the unit's name it shows, the reader's own answer and right to answer, the
language and the time zone; all of that is in its key, read in this request, so a
stale, evicted or restored cache can only miss. What differs per request (the CSRF
token, the address to come back to) is left as a placeholder in the kept text and
put in here; a placeholder holds a raw "<", which escaped text never does.
"""

from __future__ import annotations

import hashlib

from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from organising.cached import cache, guarded, in_transaction

TTL = 24 * 3600
CSRF, NEXT = "<csrf>", "<next>"


def _key(item, compact: bool, language: str, zone: str) -> str:
    occurrence, event = item.occurrence, item.occurrence.event
    answer = item.answer
    mine = f"{answer.answer}{'w' if answer.waiting else ''}" if answer else "-"
    owner = event.group.name if event.group_id else event.unit.name
    owner = hashlib.blake2b(owner.encode(), digest_size=8).hexdigest()
    return (
        f"agenda:card:{event.pk}:{event.version}:{occurrence.key}:"
        f"{occurrence.start.timestamp():.0f}:{occurrence.end.timestamp():.0f}:"
        f"{int(compact)}:{language}:{zone}:{mine}:{int(item.can_rsvp)}:"
        f"{item.counts.get('going', 0)}:{owner}"
    )


@guarded(default={})
def _get_many(keys: list[str]) -> dict:
    return cache().get_many(keys)


@guarded()
def _keep(texts: dict) -> None:
    if not in_transaction():
        cache().set_many(texts, TTL)


def render(request, items, *, compact: bool) -> dict[int, SafeString]:
    """{id(item.occurrence): the card's HTML} for these items."""
    if not items:
        return {}
    language = translation.get_language() or ""
    zone = timezone.get_current_timezone_name()
    keys = {id(item.occurrence): _key(item, compact, language, zone) for item in items}
    found = _get_many(sorted(set(keys.values())))
    template = get_template("agenda/_occurrence.html")
    rendered: dict[str, str] = {}
    for item in items:
        key = keys[id(item.occurrence)]
        if key not in found and key not in rendered:
            rendered[key] = str(
                template.render({"item": item, "compact": compact, "kept_card": True})
            )
    if rendered:
        _keep(rendered)
    token, back = get_token(request), escape(request.get_full_path())
    return {
        ref: mark_safe(  # noqa: S308 - our template's output, placeholders filled
            (found.get(key) or rendered[key]).replace(CSRF, token).replace(NEXT, back)
        )
        for ref, key in keys.items()
    }
