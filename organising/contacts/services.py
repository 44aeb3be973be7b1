"""Every write on contacts: adding and merging, consents and their withdrawal,
interactions, sharing and reassigning, erasure, the invitation to join.

Keyword-only, atomic, an audit row in the same transaction (the audit rows hold ids
and counts, never a contact's personal data, which erasure must remove for good).

Withdrawal: a contact whose last consent is withdrawn is erased (row, history,
consents and shares deleted). Without a legal basis nothing may be kept, and a
"do not contact" row would keep the very data it is about.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from federation.models import Unit
from members.services import invitation_create
from organising import ratelimits
from organising.audit.services import audit_record

from .models import Consent, Contact, ContactShare, Interaction

COVERS = frozenset(Consent.Covers.values)
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "postcode",
    "commune",
    "tags",
    "notes",
)
_DIGITS = re.compile(r"\D+")
_LIMITS = {name: Contact._meta.get_field(name).max_length for name in EDITABLE_FIELDS}


# --- Normalising what people type ------------------------------------------------


def fold(text: str) -> str:
    """Lower-case ASCII with single spaces: "Élodie  Müller" → "elodie muller"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def normalise_email(raw: str, *, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {field: _("Enter a valid e-mail address.")}, code="invalid"
        ) from None
    return email


def normalise_phone(raw: str, *, region: str = "FR", field: str = "phone") -> str:
    """The number in E.164 (+33612345678); national numbers are read as French."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {field: _("Enter a valid phone number (e.g. 06 12 34 56 78).")},
            code="invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """+33612345678 → "06 12 34 56 78" (French numbers), international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def normalise_tags(raw) -> str:
    """ "Marché, logement ,marché" (or a list) → ",logement,marché," (stored form)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags = sorted({" ".join(str(tag).lower().split())[:40] for tag in items} - {""})
    return f",{','.join(tags)}," if tags else ""


def clean_fields(fields: dict) -> dict:
    """Check and normalise contact fields; ValidationError naming each bad field."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: _("Unknown field.")})
        value = value if value is not None else ""
        try:
            if name == "email":
                value = normalise_email(value)
            elif name == "phone":
                value = normalise_phone(value)
            elif name == "tags":
                value = normalise_tags(value)
            else:
                value = str(value).strip()
                if name != "notes":
                    value = " ".join(value.split())
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        limit = _LIMITS[name]
        if limit and len(value) > limit:
            errors[name] = [_("At most %(limit)d characters.") % {"limit": limit}]
            continue
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _covers(covers) -> set[str]:
    covers = set(covers or ())
    unknown = covers - COVERS
    if unknown:
        raise ValidationError(
            {
                "consent_covers": _("Unknown consent: %(kinds)s.")
                % {"kinds": ", ".join(sorted(unknown))}
            }
        )
    return covers


def _search_name(contact: Contact) -> str:
    return fold(f"{contact.first_name} {contact.last_name}")[:170] or fold(
        contact.email or contact.phone
    )


def national_digits(e164: str) -> str:
    """+33612345678 → "0612345678" (what people type); other countries as digits."""
    digits = _DIGITS.sub("", e164 or "")
    return "0" + digits[2:] if digits.startswith("33") else digits


def index_search(contact: Contact) -> None:
    """Fill the fields that search and duplicate detection read."""
    contact.search_name = _search_name(contact)
    contact.search_text = " ".join(
        filter(
            None, [contact.search_name, contact.email, national_digits(contact.phone)]
        )
    )[:420]


def _require_identifiable(contact: Contact) -> None:
    if not (contact.first_name or contact.last_name or contact.email or contact.phone):
        raise ValidationError(
            {"last_name": _("Give at least a name, an e-mail address or a phone.")}
        )


# --- Adding contacts -------------------------------------------------------------


def _consent_add(
    *, contact: Contact, source: str, covers: set[str], at: datetime, by=None
) -> Consent:
    source = " ".join((source or "").split())[:120]
    if not source:
        raise ValidationError({"consent_source": _("Say where the consent was given.")})
    return Consent.objects.create(
        contact=contact,
        source=source,
        given_at=at,
        covers_email="email" in covers,
        covers_phone="phone" in covers,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )


def _fill_blanks(contact: Contact, fields: dict, *, save: bool = True) -> list[str]:
    """Complete the contact with what it lacked (a merge never overwrites what a
    member typed); the tags are united."""
    changed = []
    for name, value in fields.items():
        if name == "tags":
            united = normalise_tags([*contact.tag_list, *value.strip(",").split(",")])
            if united != contact.tags:
                contact.tags = united
                changed.append(name)
        elif name == "notes":
            if value and value not in contact.notes:
                contact.notes = "\n\n".join(filter(None, [contact.notes, value]))[:5000]
                changed.append(name)
        elif value and not getattr(contact, name):
            setattr(contact, name, value)
            changed.append(name)
    if changed:
        index_search(contact)
    if changed and save:
        contact.save(
            update_fields=[*changed, "search_name", "search_text", "updated_at"]
        )
    return changed


def _add_or_merge(*, unit: Unit, fields: dict, by) -> tuple[Contact, bool]:
    """The unit's contact with this e-mail completed with `fields`, or a new one;
    (contact, created). Safe against two confirmations at once: the unique
    (unit, e-mail) constraint decides, the loser merges."""
    email = fields.get("email", "")
    if email:
        existing = (
            Contact.objects.select_for_update().filter(unit=unit, email=email).first()
        )
        if existing is not None:
            _fill_blanks(existing, fields)
            return existing, False
    contact = Contact(unit=unit, created_by=by, **fields)
    _require_identifiable(contact)
    index_search(contact)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        if not email:
            raise
        existing = Contact.objects.select_for_update().get(unit=unit, email=email)
        _fill_blanks(existing, fields)
        return existing, False
    return contact, True


@transaction.atomic
def contact_from_signature(
    *,
    unit: Unit,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    commune: str = "",
    postcode: str = "",
    consent_source: str,
    consent_covers: set[str],
    at: datetime,
    petition_title: str,
) -> Contact:
    """A confirmed petition signer who agreed to be contacted again becomes (or is
    merged into, by e-mail within `unit`) a contact of `unit`, with the consent
    recorded and a "signed a petition" interaction. Called by the petitions app;
    no member acts, so no policy check: the signer's own confirmation is the basis.
    A phone that does not parse is dropped rather than refusing the signer."""
    fields = clean_fields(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "commune": commune,
            "postcode": postcode,
        }
    )
    if not fields["email"]:
        raise ValidationError({"email": _("An e-mail address is required.")})
    try:
        fields["phone"] = normalise_phone(phone)
    except ValidationError:
        fields["phone"] = ""
    covers = _covers(consent_covers)
    contact, created = _add_or_merge(unit=unit, fields=fields, by=None)
    _consent_add(contact=contact, source=consent_source, covers=covers, at=at)
    Interaction.objects.create(
        contact=contact,
        kind=Interaction.Kind.PETITION,
        at=at,
        note=" ".join((petition_title or "").split())[:500],
    )
    audit_record(
        actor=None,
        action="contact.create" if created else "contact.merge_signature",
        target=contact,
        unit=unit,
        data={"source": consent_source[:120]},
    )
    return contact


@transaction.atomic
def contact_withdraw_consent(*, email: str, source: str) -> int:
    """The person with `email` withdraws the consent they gave at `source` (in every
    unit that holds it). A contact left with no consent in force is erased. Returns
    the number of consents withdrawn (0 when there was none: safe to call twice)."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    now = timezone.now()
    consents = Consent.objects.filter(
        contact__email=email, source=source, withdrawn_at__isnull=True
    )
    contact_ids = set(consents.values_list("contact_id", flat=True))
    withdrawn = consents.update(withdrawn_at=now)
    for contact in Contact.objects.filter(pk__in=contact_ids).select_related("unit"):
        if not contact.consents.filter(withdrawn_at__isnull=True).exists():
            _erase(contact=contact, by=None, reason="consent withdrawn")
        else:
            audit_record(
                actor=None,
                action="contact.consent_withdraw",
                target=contact,
                unit=contact.unit,
                data={"source": source[:120]},
            )
    return withdrawn


@transaction.atomic
def contact_create(
    *,
    unit: Unit,
    by,
    consent_source: str,
    consent_covers: set[str],
    consent_at: datetime | None = None,
    follower=None,
    interaction: str = Interaction.Kind.MET,
    **fields,
) -> Contact:
    """A member adds a person they met; they follow it up unless an officer names
    another member. Same e-mail in the unit: merged into the existing contact."""
    access.require(by, "contact.create", unit)
    ratelimits.charge("contact", member=by)
    cleaned = clean_fields(fields)
    covers = _covers(consent_covers)
    follower = follower or by
    probe = Contact(unit=unit)
    if follower != by and not access.can(by, "contact.reassign", probe):
        raise ValidationError({"follower": _("Only officers choose who follows up.")})
    if not access.may_follow_contact(follower, probe):
        raise ValidationError({"follower": _("This member is not in the unit.")})
    contact, created = _add_or_merge(unit=unit, fields=cleaned, by=by)
    if created:
        contact.follower = follower
        contact.save(update_fields=["follower"])
    _consent_add(
        contact=contact,
        source=consent_source,
        covers=covers,
        at=consent_at or timezone.now(),
        by=by,
    )
    if interaction:
        Interaction.objects.create(
            contact=contact, kind=interaction, at=timezone.now(), by=by
        )
    audit_record(
        actor=by,
        action="contact.create" if created else "contact.merge_entry",
        target=contact,
        unit=unit,
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, by, **fields) -> Contact:
    """Change a contact's fields (those given)."""
    access.require(by, "contact.edit", contact)
    cleaned = clean_fields(fields)
    for name, value in cleaned.items():
        setattr(contact, name, value)
    _require_identifiable(contact)
    if cleaned.get("email"):
        clash = Contact.objects.filter(unit_id=contact.unit_id, email=cleaned["email"])
        if clash.exclude(pk=contact.pk).exists():
            raise ValidationError(
                {
                    "email": _(
                        "Another contact of the unit has this address: merge them."
                    )
                }
            )
    index_search(contact)
    contact.save()
    audit_record(
        actor=by,
        action="contact.edit",
        target=contact,
        unit=contact.unit,
        data={"fields": sorted(cleaned)},
    )
    return contact


@transaction.atomic
def consent_record(
    *, contact: Contact, by, source: str, covers: set[str], at: datetime | None = None
) -> Consent:
    """Record a further consent the contact gave (a new channel, a new event)."""
    access.require(by, "contact.edit", contact)
    consent = _consent_add(
        contact=contact,
        source=source,
        covers=_covers(covers),
        at=at or timezone.now(),
        by=by,
    )
    audit_record(actor=by, action="contact.consent", target=contact, unit=contact.unit)
    return consent


@transaction.atomic
def interaction_add(
    *, contact: Contact, by, kind: str, note: str = "", at: datetime | None = None
) -> Interaction:
    """Add a moment to the contact's history (met, called, came to an event...)."""
    access.require(by, "contact.interact", contact)
    ratelimits.charge("contact", member=by)
    if kind not in Interaction.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of interaction.")})
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise ValidationError(
            {"note": _("At most %(limit)d characters.") % {"limit": 500}}
        )
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": _("This date is in the future.")})
    interaction = Interaction.objects.create(
        contact=contact, kind=kind, note=note, at=at, by=by
    )
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return interaction


# --- Sharing and following up ----------------------------------------------------


@transaction.atomic
def contact_share(*, contact: Contact, member, by) -> ContactShare:
    """Share the contact with another member of its unit (idempotent)."""
    access.require(by, "contact.share", contact)
    if not access.may_follow_contact(member, contact) or not member.is_active:
        raise ValidationError({"member": _("This member is not in the unit.")})
    share, created = ContactShare.objects.get_or_create(
        contact=contact, member=member, defaults={"shared_by": by}
    )
    if created:
        audit_record(
            actor=by,
            action="contact.share",
            target=contact,
            unit=contact.unit,
            data={"member": member.pk},
        )
    return share


@transaction.atomic
def contact_unshare(*, contact: Contact, member, by) -> int:
    access.require(by, "contact.share", contact)
    removed, _rows = ContactShare.objects.filter(
        contact=contact, member=member
    ).delete()
    if removed:
        audit_record(
            actor=by,
            action="contact.unshare",
            target=contact,
            unit=contact.unit,
            data={"member": member.pk},
        )
    return removed


@transaction.atomic
def contact_reassign(*, contact: Contact, follower, by) -> Contact:
    """An officer hands the follow-up to another member of the unit (or to nobody)."""
    access.require(by, "contact.reassign", contact)
    if follower is not None and (
        not follower.is_active or not access.may_follow_contact(follower, contact)
    ):
        raise ValidationError({"follower": _("This member is not in the unit.")})
    before = contact.follower_id
    contact.follower = follower
    contact.save(update_fields=["follower", "updated_at"])
    audit_record(
        actor=by,
        action="contact.reassign",
        target=contact,
        unit=contact.unit,
        data={"from": before, "to": follower.pk if follower else None},
    )
    return contact


# --- Merging and erasing ---------------------------------------------------------


@transaction.atomic
def contact_merge(*, keep: Contact, other: Contact, by) -> Contact:
    """Merge `other` into `keep`: blanks of `keep` filled from `other`, every
    interaction, consent (so the oldest one too) and share moved, `other` deleted."""
    access.require(by, "contact.merge", keep)
    access.require(by, "contact.merge", other)
    if keep.pk == other.pk:
        raise ValidationError({"other": _("A contact cannot be merged into itself.")})
    if keep.unit_id != other.unit_id:
        raise ValidationError({"other": _("Only contacts of the same unit merge.")})
    keep = Contact.objects.select_for_update().get(pk=keep.pk)
    other = Contact.objects.select_for_update().get(pk=other.pk)
    fields = {name: getattr(other, name) for name in EDITABLE_FIELDS}
    email = fields.pop("email")
    Interaction.objects.filter(contact=other).update(contact=keep)
    Consent.objects.filter(contact=other).update(contact=keep)
    already = ContactShare.objects.filter(contact=keep).values("member_id")
    ContactShare.objects.filter(contact=other).exclude(member_id__in=already).update(
        contact=keep
    )
    keep.follower_id = keep.follower_id or other.follower_id
    keep.invitation_id = keep.invitation_id or other.invitation_id
    keep.member_id = keep.member_id or other.member_id
    if keep.created_at > other.created_at:
        Contact.objects.filter(pk=keep.pk).update(created_at=other.created_at)
    other_pk = other.pk
    other.delete()  # frees its e-mail within the unit before `keep` may take it
    if email and not keep.email:
        fields["email"] = email
    keep.save(update_fields=["follower", "invitation", "member"])
    _fill_blanks(keep, fields)
    audit_record(
        actor=by,
        action="contact.merge",
        target=keep,
        unit=keep.unit,
        data={"merged": other_pk},
    )
    keep.refresh_from_db()
    return keep


def _erase(*, contact: Contact, by, reason: str) -> None:
    audit_record(
        actor=by,
        action="contact.erase",
        target=contact,
        unit=contact.unit,
        data={"reason": reason},
    )
    contact.delete()


@transaction.atomic
def contact_erase(*, contact: Contact, by) -> None:
    """Erase the contact and its whole history (the person asked, or no basis is
    left); only an audit row with its former id remains."""
    access.require(by, "contact.erase", contact)
    _erase(contact=contact, by=by, reason="erasure")


# --- Bulk reads are recorded -----------------------------------------------------


def contacts_read_record(*, by, unit: Unit | None, what: str, count: int) -> None:
    """Record a bulk read of contacts (a list page, an API list, a duplicates page):
    who read how many, where."""
    if count <= 0:
        return
    target = unit if unit is not None else by
    audit_record(
        actor=by,
        action="contact.bulk_read",
        target=target,
        unit=unit,
        data={"what": what, "count": count},
    )


# --- Becoming a member -----------------------------------------------------------


@transaction.atomic
def contact_invite(*, contact: Contact, by) -> Contact:
    """Invite the contact to join its cell (members' invitation, e-mailed); when the
    invitation is accepted (`joining.contacts_joined`) the contact points to the new
    account and keeps its whole history."""
    access.require(by, "contact.invite", contact)
    if not contact.email:
        raise ValidationError({"email": _("The contact has no e-mail address.")})
    if contact.member_id:
        raise ValidationError({"email": _("This contact is already a member.")})
    invitation, _secret = invitation_create(
        unit=contact.unit, email=contact.email, by=by, display_name=contact.full_name
    )
    contact.invitation = invitation
    contact.save(update_fields=["invitation", "updated_at"])
    audit_record(actor=by, action="contact.invite", target=contact, unit=contact.unit)
    return contact
