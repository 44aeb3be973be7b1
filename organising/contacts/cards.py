"""vCard (3.0) in and out: a member's card with the fields they show, the contacts
one may see, and the reading of a vCard file into rows for the import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import vobject
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Contact
from .selectors import shown_fields


def _card(*, first: str, last: str, full: str) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("fn").value = full or f"{first} {last}".strip() or "?"
    card.add("n").value = vobject.vcard.Name(family=last, given=first)
    return card


def member_vcard(member) -> str:
    """A member's card: their name and only the profile fields they show."""
    fields = shown_fields(member)
    card = _card(first="", last=member.display_name, full=member.display_name)
    if fields.get("email"):
        card.add("email").value = fields["email"]
    if fields.get("phone"):
        card.add("tel").value = fields["phone"]
    if fields.get("commune"):
        card.add("adr").value = vobject.vcard.Address(city=fields["commune"])
    if fields.get("bio"):
        card.add("note").value = fields["bio"]
    return card.serialize()


def contact_card(contact: Contact) -> str:
    card = _card(
        first=contact.first_name, last=contact.last_name, full=contact.full_name
    )
    if contact.email:
        card.add("email").value = contact.email
    if contact.phone:
        card.add("tel").value = contact.phone
    if contact.address or contact.commune or contact.postcode:
        card.add("adr").value = vobject.vcard.Address(
            street=contact.address, city=contact.commune, code=contact.postcode
        )
    if contact.tag_list:
        card.add("categories").value = contact.tag_list
    if contact.notes:
        card.add("note").value = contact.notes
    return card.serialize()


def contacts_vcards(contacts: Iterable[Contact]) -> Iterator[str]:
    for contact in contacts:
        yield contact_card(contact)


def _first(card, name: str) -> str:
    children = card.contents.get(name) or []
    if not children:
        return ""
    value = children[0].value
    return value if isinstance(value, str) else ""


def vcard_rows(text: str) -> Iterator[tuple[int, dict]]:
    """(card number, fields) for each card of a vCard file; a ValidationError on
    `file` naming the line where it does not parse."""
    if "BEGIN:VCARD" not in text[:2000].upper():
        raise ValidationError({"file": _("This is not a vCard file (no BEGIN:VCARD).")})
    number = 0
    try:
        for card in vobject.readComponents(text, ignoreUnreadable=False):
            if card.name.upper() != "VCARD":
                continue
            number += 1
            names = card.contents.get("n")
            first = last = ""
            if names and isinstance(names[0].value, vobject.vcard.Name):
                first = " ".join(filter(None, [names[0].value.given]))
                last = names[0].value.family or ""
                first = first if isinstance(first, str) else " ".join(first)
                last = last if isinstance(last, str) else " ".join(last)
            if not (first or last):
                full = _first(card, "fn").split()
                first, last = (" ".join(full[:-1]), full[-1]) if full else ("", "")
            address = card.contents.get("adr")
            street = commune = postcode = ""
            if address and isinstance(address[0].value, vobject.vcard.Address):
                value = address[0].value
                street = (
                    value.street
                    if isinstance(value.street, str)
                    else " ".join(value.street)
                )
                commune = (
                    value.city if isinstance(value.city, str) else " ".join(value.city)
                )
                postcode = (
                    value.code if isinstance(value.code, str) else " ".join(value.code)
                )
            categories = card.contents.get("categories")
            tags = categories[0].value if categories else []
            yield (
                number,
                {
                    "first_name": first,
                    "last_name": last,
                    "email": _first(card, "email"),
                    "phone": _first(card, "tel"),
                    "address": street,
                    "postcode": postcode,
                    "commune": commune,
                    "tags": ",".join(tags) if isinstance(tags, list) else str(tags),
                    "notes": _first(card, "note"),
                },
            )
    except (vobject.base.ParseError, vobject.base.VObjectError, ValueError) as error:
        line = getattr(error, "lineNumber", None)
        raise ValidationError(
            {
                "file": _(
                    "The vCard file does not parse (card %(card)s, line %(line)s)."
                )
                % {"card": number + 1, "line": line or "?"}
            }
        ) from None
