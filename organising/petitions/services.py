"""Every write of petitions: petitions and their lifecycle, signatures requested,
confirmed by the e-mailed link and withdrawn by it, and their way into the contacts
of the cell that covers the signer's postcode.

Keyword-only, atomic; officers' actions leave an audit row in the same transaction.
E-mails, contacts and live counts leave through `transaction.on_commit`. A signer is
anonymous: what a signature request answers never says whether the address had
signed already (the e-mail does).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.text import slugify
from django.utils.translation import gettext as _

from federation import access
from federation.models import Territory, Unit
from organising import ratelimits, topics
from organising.audit.services import audit_record
from organising.contacts import services as contacts_services
from organising.messaging.text import clean_html
from organising.queueing import enqueue_on_commit

from .models import Petition, Signature

EDITABLE_FIELDS = (
    "title",
    "text",
    "goal",
    "ends_at",
    "location",
    "ask_phone",
    "consent_text",
)
HONEYPOT_FIELD = "website"
_POSTCODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z -]{1,8}[0-9A-Za-z]")
_HTML_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consent_source(petition: Petition) -> str:
    """How a contact's consent names this petition (the same at withdrawal)."""
    return f"petition:{petition.public_id}"


# --- Petitions -----------------------------------------------------------------------


def _check_petition(petition: Petition) -> None:
    """The domain rules of a petition's fields (ValidationError naming the field)."""
    errors: dict[str, str] = {}
    petition.title = petition.title.strip()
    if not petition.title:
        errors["title"] = _("Give the petition a title.")
    if not petition.text.strip():
        errors["text"] = _("Write the petition's text.")
    if petition.goal is None or not 1 <= petition.goal <= 100_000_000:
        errors["goal"] = _("The goal is between 1 and 100,000,000 signatures.")
    if petition.location not in Petition.Location.values:
        errors["location"] = _("Choose what the signers say of where they live.")
    if petition.ends_at is not None and not 2000 <= petition.ends_at.year <= 2200:
        errors["ends_at"] = _("Give a date between 2000 and 2200.")
    petition.consent_text = petition.consent_text.strip()
    if errors:
        raise ValidationError(errors)
    source = petition.text
    if not _HTML_TAG.search(source):
        source = linebreaks(source)
    petition.text_html = clean_html(source, rich=True)


# Addresses the routes use beside a petition's (/petitions/confirm/…).
RESERVED_SLUGS = frozenset({"confirm", "withdraw", "units"})


def _free_slug(title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:60] or "petition"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Petition.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def petition_create(
    *,
    by,
    unit: Unit,
    title: str,
    text: str,
    goal: int = 1000,
    slug: str = "",
    ends_at: datetime | None = None,
    location: str = Petition.Location.POSTCODE,
    ask_phone: bool = False,
    consent_text: str = "",
    audit: bool = True,
) -> Petition:
    """A new petition of `unit`, in draft until its officers open it."""
    access.require(by, "petition.create", unit)
    petition = Petition(
        unit=unit,
        title=title,
        text=text,
        goal=goal,
        ends_at=ends_at,
        location=location,
        ask_phone=ask_phone,
        consent_text=consent_text,
        created_by=by,
    )
    _check_petition(petition)
    if slug and (slugify(slug) != slug or len(slug) > 80):
        raise ValidationError(
            {"slug": _("Use lower-case letters, digits and hyphens.")}
        )
    if slug in RESERVED_SLUGS or (slug and Petition.objects.filter(slug=slug).exists()):
        raise ValidationError({"slug": _("Another petition has this address.")})
    petition.slug = slug or _free_slug(petition.title)
    petition.save()
    if audit:
        audit_record(actor=by, action="petition.create", target=petition, unit=unit)
    return petition


@transaction.atomic
def petition_edit(*, petition: Petition, by, **changes) -> Petition:
    """Change a petition's fields (the public page shows them at once)."""
    access.require(by, "petition.manage", petition)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    for name, value in changes.items():
        setattr(petition, name, value)
    _check_petition(petition)
    petition.version = F("version") + 1
    petition.save()
    petition.refresh_from_db()
    audit_record(
        actor=by,
        action="petition.edit",
        target=petition,
        unit=petition.unit,
        data={"fields": sorted(changes)},
    )
    return petition


@transaction.atomic
def petition_set_status(*, petition: Petition, by, status: str) -> Petition:
    """Open or close the petition along `Petition.TRANSITIONS`."""
    action = "petition.close" if status == Petition.Status.CLOSED else "petition.manage"
    access.require(by, action, petition)
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if status not in Petition.TRANSITIONS.get(petition.status, ()):
        raise ValidationError(
            {
                "status": _("A petition that is %(now)s cannot become %(next)s.")
                % {
                    "now": Petition.Status(petition.status).label,
                    "next": Petition.Status(status).label
                    if status in Petition.Status.values
                    else status,
                }
            }
        )
    previous, petition.status = petition.status, status
    now = timezone.now()
    if status == Petition.Status.OPEN:
        petition.opened_at = petition.opened_at or now
        petition.closed_at = None
    else:
        petition.closed_at = now
    petition.version = F("version") + 1
    petition.save(update_fields=["status", "opened_at", "closed_at", "version"])
    petition.refresh_from_db()
    audit_record(
        actor=by,
        action="petition.status",
        target=petition,
        unit=petition.unit,
        data={"from": previous, "to": status},
    )
    _announce(petition)
    return petition


def petition_open(*, petition: Petition, by) -> Petition:
    return petition_set_status(petition=petition, by=by, status=Petition.Status.OPEN)


def petition_close(*, petition: Petition, by) -> Petition:
    return petition_set_status(petition=petition, by=by, status=Petition.Status.CLOSED)


# --- Signing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Client:
    """What `ratelimits.charge` counts per "member": here a client address or an
    e-mail address (anonymous signers have no account)."""

    pk: str
    is_superuser: bool = False


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """The number in E.164 (+33612345678); French numbers may be written 06 12…."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError({field: _("Give a valid phone number.")})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_signer(petition: Petition, fields: dict) -> dict:
    """Shape-check what the signer typed; ValidationError naming each field."""
    errors: dict[str, str] = {}
    out = {
        "first_name": (fields.get("first_name") or "").strip()[:80],
        "last_name": (fields.get("last_name") or "").strip()[:80],
        "email": normalise_email(fields.get("email")),
        "postcode": (fields.get("postcode") or "").strip().upper(),
        "commune": (fields.get("commune") or "").strip()[:120],
        "phone": "",
        "consent_contact": bool(fields.get("consent_contact"))
        and bool(petition.consent_text),
        "show_publicly": bool(fields.get("show_publicly")),
    }
    if not out["first_name"]:
        errors["first_name"] = _("Give your first name.")
    if not out["last_name"]:
        errors["last_name"] = _("Give your last name.")
    try:
        validate_email(out["email"])
        if len(out["email"]) > 254:
            raise ValidationError("too long")
    except ValidationError:
        errors["email"] = _("Give a valid e-mail address.")
    if petition.location == Petition.Location.POSTCODE:
        if not _POSTCODE.fullmatch(out["postcode"]):
            errors["postcode"] = _("Give your postcode.")
    else:
        out["postcode"] = ""
    if petition.location == Petition.Location.NONE:
        out["commune"] = ""
    elif petition.location == Petition.Location.COMMUNE and not out["commune"]:
        errors["commune"] = _("Give your commune.")
    if petition.ask_phone:
        try:
            out["phone"] = normalise_phone(fields.get("phone") or "")
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    if petition.location == Petition.Location.POSTCODE and not out["commune"]:
        out["commune"] = (
            Territory.objects.filter(postcode=out["postcode"])
            .values_list("commune", flat=True)
            .order_by("commune")
            .first()
            or ""
        )
    return out


def _domain_cap(domain: str) -> int:
    cap = settings.PETITION_UNCONFIRMED_PER_DOMAIN_HOUR
    if domain in settings.PETITION_LARGE_EMAIL_PROVIDERS:
        cap *= settings.PETITION_LARGE_PROVIDER_FACTOR
    return cap


def _check_domain_cap(domain: str, now: datetime) -> None:
    """At most so many unconfirmed signatures per e-mail domain in the last hour
    (all petitions): a script inventing addresses at one domain stops there."""
    cap = _domain_cap(domain)
    waiting = Signature.objects.filter(
        email_domain=domain,
        confirmed_at__isnull=True,
        created_at__gte=now - timedelta(hours=1),
    )[:cap].count()
    if waiting >= cap:
        raise ratelimits.RateLimited("petition_domain", 600)


def signature_request(
    *,
    petition: Petition,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    postcode: str = "",
    commune: str = "",
    phone: str = "",
    consent_contact: bool = False,
    show_publicly: bool = False,
    honeypot: str = "",
    client_address: str = "",
) -> None:
    """Ask to sign: a link is e-mailed, and the signature counts once it is
    followed. Answers the same whether the address signed already or not (a
    confirmed signer is e-mailed that they signed; a pending one a fresh link)."""
    if honeypot:
        raise ValidationError({HONEYPOT_FIELD: _("Leave this field empty.")})
    if not access.can(None, "petition.sign", petition):
        raise ValidationError({"petition": _("This petition is closed.")})
    signer = _clean_signer(
        petition,
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "postcode": postcode,
            "commune": commune,
            "phone": phone,
            "consent_contact": consent_contact,
            "show_publicly": show_publicly,
        },
    )
    ratelimits.charge(
        "petition_sign", member=_Client(f"ip:{client_address or 'unknown'}")
    )
    ratelimits.charge(
        "petition_email", member=_Client(f"email:{hash_token(signer['email'])}")
    )
    domain = signer["email"].rsplit("@", 1)[-1]
    now = timezone.now()
    _check_domain_cap(domain, now)
    _signature_store(petition, signer, domain, client_address, now)


@transaction.atomic
def _signature_store(petition, signer, domain, client_address, now) -> None:
    token = secrets.token_urlsafe(32)
    fields = {
        **signer,
        "email_domain": domain,
        "token_hash": hash_token(token),
        "token_expires_at": now + timedelta(hours=settings.PETITION_CONFIRM_HOURS),
        "network": ratelimits.network_of(client_address) if client_address else "",
        "created_at": now,
    }
    try:
        with transaction.atomic():
            signature = Signature.objects.create(petition=petition, **fields)
    except IntegrityError:  # signed already (or at the same instant)
        signature = (
            Signature.objects.select_for_update()
            .filter(petition=petition, email=signer["email"])
            .first()
        )
        if signature is None:  # withdrawn meanwhile: sign anew
            signature = Signature.objects.create(petition=petition, **fields)
        elif signature.confirmed_at is not None:
            _send_on_commit(signature.pk, "", "already")
            return
        else:
            for name, value in fields.items():
                setattr(signature, name, value)
            signature.save()
    _send_on_commit(signature.pk, token, "confirm")


@dataclass(frozen=True)
class Confirmation:
    signature: Signature
    petition: Petition
    already: bool  # the link had been followed before: nothing counted again


@transaction.atomic
def signature_confirm(*, token: str) -> Confirmation:
    """Follow the e-mailed link: the signature counts, once. A link followed again
    answers `already`; an expired one, or one for a closed petition, is refused."""
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("petition")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if signature is None:
        raise ValidationError(_("This link is not valid (any more)."), code="invalid")
    petition = signature.petition
    if signature.confirmed_at is not None:
        return Confirmation(signature, petition, already=True)
    now = timezone.now()
    if signature.token_expires_at <= now:
        raise ValidationError(
            _("This link has expired: sign again to receive a new one."),
            code="expired",
        )
    if not petition.accepts_signatures:
        raise ValidationError(_("This petition is closed."), code="closed")
    signature.confirmed_at = now
    signature.routed_to = route_unit(petition, signature.postcode, signature.commune)
    signature.save(update_fields=["confirmed_at", "routed_to"])
    _count(petition, +1, public=signature.show_publicly)
    if signature.consent_contact:  # in this transaction: confirmed means kept
        signature_to_contact(signature=signature)
    return Confirmation(signature, petition, already=False)


@transaction.atomic
def signature_withdraw(*, token: str) -> Petition:
    """Follow the withdrawal link: the signature (and the signer's data) is deleted,
    no longer counted, and the consent it gave the unit is withdrawn."""
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("petition")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if signature is None:
        raise ValidationError(_("This link is not valid (any more)."), code="invalid")
    petition = signature.petition
    if signature.confirmed_at is not None:
        _count(petition, -1, public=signature.show_publicly)
    if signature.consent_contact and signature.confirmed_at is not None:
        contacts_services.contact_withdraw_consent(
            email=signature.email, source=consent_source(petition)
        )
    signature.delete()
    return petition


def signatures_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the unconfirmed signatures whose link has expired: what a signer who
    never confirmed gave is kept no longer than the link. Safe to run twice."""
    now = now or timezone.now()
    deleted, _by_model = Signature.objects.filter(
        confirmed_at__isnull=True, token_expires_at__lte=now
    ).delete()
    return deleted


def _count(petition: Petition, delta: int, *, public: bool) -> None:
    """Move the confirmed count (one UPDATE: concurrent confirmations add up, none
    lost); the public list's version moves when a name shown there changes."""
    changes = {"signature_count": F("signature_count") + delta}
    if public:
        changes["list_version"] = F("list_version") + 1
    Petition.objects.filter(pk=petition.pk).update(**changes)
    petition.refresh_from_db(fields=["signature_count", "list_version"])
    _announce(petition)


def _announce(petition: Petition) -> None:
    from .live import group_name

    topics.announce(
        group_name(petition.pk),
        "petition",
        petition.pk,
        {"count": petition.signature_count, "status": petition.status},
    )


# --- Routing to the contacts of a cell -----------------------------------------------


def route_unit(petition: Petition, postcode: str, commune: str = "") -> Unit:
    """The unit whose contacts receive a signer: the deepest unit under the
    petition's unit whose territory covers the postcode (or, without one, the
    commune's name); the petition's unit when none does."""
    units = Territory.objects.filter(
        unit__path__startswith=petition.unit.path
    ).select_related("unit")
    found = []
    if postcode:
        found = list(units.filter(postcode=postcode))
    if not found and commune:
        found = list(units.filter(commune__iexact=commune))
    if not found:
        return petition.unit
    return max(found, key=lambda t: (t.unit.depth, -t.unit.pk)).unit


def signature_to_contact(*, signature: Signature) -> None:
    """Add the confirmed signer who agreed to be contacted to the contacts of the
    unit they were routed to (merged there with the same address)."""
    covers = {"email"} | ({"phone"} if signature.phone else set())
    contacts_services.contact_from_signature(
        unit=signature.routed_to or signature.petition.unit,
        first_name=signature.first_name,
        last_name=signature.last_name,
        email=signature.email,
        phone=signature.phone,
        commune=signature.commune,
        postcode=signature.postcode,
        consent_source=consent_source(signature.petition),
        consent_covers=covers,
        at=signature.confirmed_at,
        petition_title=signature.petition.title,
    )


# --- E-mails -------------------------------------------------------------------------


def _send_on_commit(signature_id: int, token: str, kind: str) -> None:
    from .tasks import signature_mail_task

    # The secret lives only in the e-mail (and the task queued to send it); with
    # the broker down it is sent from here.
    enqueue_on_commit(
        signature_mail_task,
        signature_id,
        token,
        kind,
        fallback=lambda: signature_mail_send(
            signature_id=signature_id, token=token, kind=kind
        ),
    )


def signature_mail_send(*, signature_id: int, token: str, kind: str) -> bool:
    """E-mail the signer their confirmation (and withdrawal) link, or, when they had
    signed already, that their signature counts."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    signature = (
        Signature.objects.filter(pk=signature_id).select_related("petition").first()
    )
    if signature is None:
        return False
    context = {
        "signature": signature,
        "petition": signature.petition,
        "page": signature.petition.uri,
        "hours": settings.PETITION_CONFIRM_HOURS,
    }
    if kind == "confirm":
        if signature.token_hash != hash_token(token):
            return False  # a newer link was sent since
        context["confirm_link"] = settings.SITE_URL + reverse(
            "petitions:confirm", args=[token]
        )
        context["withdraw_link"] = settings.SITE_URL + reverse(
            "petitions:withdraw", args=[token]
        )
        template = "confirm"
    else:
        template = "already"
    subject = render_to_string(f"petitions/emails/{template}_subject.txt", context)
    body = render_to_string(f"petitions/emails/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [signature.email])
    return True
