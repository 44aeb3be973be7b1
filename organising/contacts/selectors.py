"""Reads of contacts that need care: the list one may see (searched, filtered,
keyset pages), one contact's page, likely duplicates, the member directory."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from federation import access
from federation.models import Group, Unit

from .models import Contact, ContactShare
from .services import fold, national_digits, normalise_tags

PAGE_SIZE = 50
_DIGITS = re.compile(r"\D+")


def contacts_visible(user) -> QuerySet[Contact]:
    """Every contact `user` may see, with what a list row shows."""
    return (
        Contact.objects.filter(access.contact_filter(user))
        .select_related("unit", "follower")
        .annotate(
            viewer_shared=Exists(
                ContactShare.objects.filter(contact=OuterRef("pk"), member_id=user.pk)
            )
        )
    )


_PHONE_LIKE = re.compile(r"[\d\s+.\-()]+")


def search_term(query: str) -> str:
    """What to look for in `Contact.search_text`: a phone typed any way ("06 12 34",
    "+33 6 12") as its national digits, anything else folded."""
    query = (query or "").strip()[:100]
    digits = _DIGITS.sub("", query)
    if len(digits) >= 3 and _PHONE_LIKE.fullmatch(query):
        return national_digits(query) if query.startswith("+") else digits
    return fold(query)


def contacts_search(
    user,
    *,
    query: str = "",
    tag: str = "",
    unit: Unit | None = None,
    after: str = "",
    limit: int = PAGE_SIZE,
) -> tuple[list[Contact], str]:
    """One page of the contacts `user` sees, in name order; the `after` cursor of
    the next page ("" at the end). `query` matches inside the folded name, the
    e-mail address or the phone's digits (`search_term`); `unit` keeps that unit's
    subtree."""
    contacts = contacts_visible(user)
    if unit is not None:
        contacts = contacts.filter(unit__path__startswith=unit.path)
    term = search_term(query)
    if term:
        contacts = contacts.filter(search_text__contains=term)
    tag = normalise_tags(tag).strip(",").split(",")[0] if tag else ""
    if tag:
        contacts = contacts.filter(tags__contains=f",{tag},")
    if after:
        name, _sep, pk = after.rpartition("|")
        if pk.isdigit():
            contacts = contacts.filter(
                Q(search_name__gt=name) | Q(search_name=name, pk__gt=int(pk))
            )
    rows = list(contacts.order_by("search_name", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1].search_name}|{rows[-1].pk}" if more and rows else ""
    return rows, cursor


def contact_page(contact: Contact) -> dict:
    """What a contact's page shows besides the contact: its history, consents and
    the members it is shared with (three queries)."""
    interactions = list(
        contact.interactions.select_related("by").order_by("-at", "-pk")[:200]
    )
    return {
        "interactions": interactions,
        "consents": list(contact.consents.order_by("given_at", "pk")),
        "shares": list(contact.shares.select_related("member").order_by("pk")),
    }


def tags_of(user, *, limit: int = 40) -> list[str]:
    """The tags used in the contacts `user` sees (for the filter), most used first.
    Bounded: read from at most 5,000 rows."""
    counts: dict[str, int] = {}
    rows = (
        Contact.objects.filter(access.contact_filter(user))
        .exclude(tags="")
        .values_list("tags", flat=True)[:5000]
    )
    for tags in rows:
        for tag in tags.strip(",").split(","):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda tag: (-counts[tag], tag))[:limit]


# --- Likely duplicates -----------------------------------------------------------


@dataclass
class DuplicatePair:
    first: Contact
    second: Contact
    reason: str  # "phone", "name"


NAME_SIMILARITY = 0.85


def duplicates_in(user, unit: Unit, *, limit: int = 50) -> list[DuplicatePair]:
    """Pairs of the unit's contacts (the unit alone, not below) that are likely the
    same person: the same phone, or close folded names in the same commune (same
    e-mail cannot happen: the database merges it on entry). Bounded: the unit's
    contacts are compared within each phone and each commune, and at most `limit`
    pairs come back."""
    contacts = Contact.objects.filter(access.contact_filter(user), unit=unit)
    pairs: list[DuplicatePair] = []
    seen: set[tuple[int, int]] = set()
    phones = (
        contacts.exclude(phone="")
        .values("phone")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("phone", flat=True)[:limit]
    )
    by_phone: dict[str, list[Contact]] = {}
    for contact in contacts.filter(phone__in=list(phones)).order_by("pk"):
        by_phone.setdefault(contact.phone, []).append(contact)
    for group in by_phone.values():
        for other in group[1:]:
            key = (group[0].pk, other.pk)
            seen.add(key)
            pairs.append(DuplicatePair(group[0], other, "phone"))
    if len(pairs) >= limit:
        return pairs[:limit]
    # Names: within a commune, sorted by folded name, neighbours compared (a
    # sorted-neighbourhood window: linear, not quadratic, in the unit's size).
    window = 4
    previous: list[Contact] = []
    rows = contacts.exclude(search_name="").order_by("commune", "search_name", "pk")
    for contact in rows.only(
        "pk",
        "public_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "commune",
        "search_name",
        "unit_id",
        "created_at",
    ).iterator(chunk_size=2000):
        previous = [c for c in previous if fold(c.commune) == fold(contact.commune)]
        for other in previous[-window:]:
            key = (other.pk, contact.pk)
            if key in seen:
                continue
            if _close_names(other.search_name, contact.search_name):
                seen.add(key)
                pairs.append(DuplicatePair(other, contact, "name"))
                if len(pairs) >= limit:
                    return pairs
        previous = [*previous[-window:], contact]
    return pairs


def _close_names(a: str, b: str) -> bool:
    if a == b:
        return True
    if sorted(a.split()) == sorted(b.split()):
        return True  # "dupont marie" and "marie dupont"
    return difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


# --- The member directory ----------------------------------------------------------


def directory_scopes(user) -> list[Unit | Group]:
    """The units (home cell and above, and those under an office) and groups whose
    directory `user` may open, nearest first."""
    viewer = access.viewer_for(user)
    units = list(Unit.objects.filter(pk__in=viewer.home_chain_ids).order_by("-depth"))
    units += list(
        Unit.objects.filter(pk__in=viewer.office_unit_ids)
        .exclude(pk__in=viewer.home_chain_ids)
        .order_by("path")
    )
    groups = list(Group.objects.filter(pk__in=viewer.group_ids).order_by("name"))
    return [*units, *groups]


def directory_members(
    scope: Unit | Group, *, query: str = "", after: str = "", limit: int = PAGE_SIZE
) -> tuple[list, str]:
    """The current members of a unit's subtree (adherents) or of a group (its
    active members), in name order, matching `query` on their name or on their
    commune where they show it; one page and the next cursor."""
    user_model = apps.get_model("members", "User")
    membership = apps.get_model("members", "Membership")
    if isinstance(scope, Group):
        group_membership = apps.get_model("federation", "GroupMembership")
        ids = group_membership.objects.filter(
            group=scope, status=group_membership.Status.ACTIVE
        ).values("user_id")
    else:
        ids = (
            membership.objects.current()
            .filter(
                status=membership.Status.ADHERENT, unit__path__startswith=scope.path
            )
            .values("user_id")
        )
    members = user_model.objects.filter(pk__in=ids, is_active=True)
    query = " ".join((query or "").split())
    if query:
        members = members.filter(
            Q(display_name__icontains=query)
            | Q(commune__icontains=query, shared_fields__icontains='"commune"')
        )
    if after:
        name, _sep, pk = after.rpartition("|")
        if pk.isdigit():
            members = members.filter(
                Q(display_name__gt=name) | Q(display_name=name, pk__gt=int(pk))
            )
    rows = list(members.order_by("display_name", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1].display_name}|{rows[-1].pk}" if more and rows else ""
    return rows, cursor


def shown_fields(member) -> dict[str, str]:
    """The profile fields a member chose to show other members (their name always)."""
    shared = set(member.shared_fields or [])
    fields = {"name": member.display_name}
    for name in ("commune", "phone", "bio", "email"):
        if name in shared and getattr(member, name, ""):
            fields[name] = getattr(member, name)
    if "avatar" in shared and member.avatar:
        fields["avatar_url"] = member.avatar_url
    return fields


def units_for_new_contacts(user) -> list[Unit]:
    """Where `user` may add a contact: their home cell, and the units under their
    offices (at most 200, in tree order)."""
    viewer = access.viewer_for(user)
    units = [viewer.home] if viewer.home is not None and viewer.is_adherent else []
    managed = (
        access.units_with_office(user)
        .exclude(pk__in=[u.pk for u in units])
        .order_by("path")[:200]
    )
    return [*units, *managed]


def units_managed(user) -> list[Unit]:
    """The units whose contacts `user` imports, exports and de-duplicates."""
    return list(
        access.units_with_office(user, frozenset({"secretary", "officer"})).order_by(
            "path"
        )[:200]
    )


def possible_followers(contact: Contact, *, limit: int = 300) -> list:
    """The adherents who may follow `contact` up: current members of its unit's
    subtree (a bounded list, in name order)."""
    membership = apps.get_model("members", "Membership")
    user_model = apps.get_model("members", "User")
    ids = (
        membership.objects.current()
        .filter(
            status=membership.Status.ADHERENT, unit__path__startswith=contact.unit.path
        )
        .values("user_id")
    )
    return list(
        user_model.objects.filter(pk__in=ids, is_active=True).order_by(
            "display_name", "pk"
        )[:limit]
    )
