"""SEPA direct debit: members' mandates, the pain.008 batch of a period's collections,
and returns (rejected debits) recorded against the members."""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from datetime import date, timedelta

from anyascii import anyascii
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN, registry
from schwifty.exceptions import SchwiftyException

from federation import access
from federation.models import Unit
from members.models import Membership
from organising.audit.services import audit_record

from .. import periods as P
from ..models import (
    DUE_KINDS,
    PAID_KINDS,
    Debit,
    DebitBatch,
    Kind,
    LedgerEntry,
    LedgerLine,
    Mandate,
    Method,
    Source,
)
from ..rates import load_schedules, schedule_on
from .base import adherent_membership, check_key, fingerprint, setting
from .ledger import PaymentPlan, _reversing_entry, _write_plan, balances_refresh
from .reminders import _absolute, _send_all

# The EPC's Latin character set (EPC217-08): what every bank of the scheme accepts.
EPC_CHARS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
EPC_TEXT = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
CREDITOR_ID = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")


def sepa_text(text: str, length: int) -> str:
    """Text in the EPC character set: letters transliterated (anyascii: "Ł" -> "L",
    "ß" -> "ss", "Ø" -> "O"), "&" as "+", anything else a space; cut to
    `length`."""
    plain = anyascii((text or "").replace("&", "+"))
    return " ".join(EPC_CHARS.sub(" ", plain).split())[:length].strip() or "-"


def check_creditor_id(raw: str) -> str:
    """A SEPA creditor identifier: country, two check digits (ISO 7064 mod 97-10
    over the national identifier and the country, the business code left out),
    a three-character business code, the national identifier; of a SEPA
    country."""
    value = re.sub(r"\s", "", raw or "").upper()
    error = ValidationError(
        {
            "creditor_id": _("%(value)s is not a valid SEPA creditor identifier.")
            % {"value": raw}
        }
    )
    if not CREDITOR_ID.fullmatch(value):
        raise error
    country, digits, national = value[:2], value[2:4], value[7:]
    try:
        in_sepa = registry.get_iban_spec(country).in_sepa_zone
    except SchwiftyException:
        in_sepa = False
    if not in_sepa:
        raise ValidationError(
            {"creditor_id": _("The creditor identifier is not of a SEPA country.")}
        )
    numeric = "".join(str(int(char, 36)) for char in national + country + digits)
    if int(numeric) % 97 != 1:
        raise error
    return value


def check_iban(raw: str) -> IBAN:
    try:
        iban = IBAN(raw or "")
    except (SchwiftyException, ValueError):
        raise ValidationError(
            {"iban": _("This IBAN is not valid: check it against your bank details.")}
        ) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            {"iban": _("Direct debit needs an account in the SEPA zone.")}
        )
    return iban


def check_bic(raw: str, iban: IBAN) -> str:
    raw = (raw or "").replace(" ", "").upper()
    if not raw:
        try:
            derived = iban.bic
        except (SchwiftyException, ValueError):
            derived = None
        return str(derived) if derived else ""
    try:
        return str(BIC(raw))
    except (SchwiftyException, ValueError):
        raise ValidationError({"bic": _("This BIC is not valid.")}) from None


@transaction.atomic
def mandate_create(
    *, member, holder_name: str, iban: str, bic: str = "", by=None
) -> Mandate:
    """The member authorises the party to collect their dues by direct debit. A new
    mandate replaces the active one."""
    by = by or member
    if by.pk != member.pk:
        raise PermissionDenied(_("Only the account holder gives a mandate."))
    adherent_membership(member)
    holder_name = (holder_name or "").strip()
    if not holder_name:
        raise ValidationError({"holder_name": _("Give the account holder's name.")})
    checked = check_iban(iban)
    bic_value = check_bic(bic, checked)
    previous = list(
        Mandate.objects.select_for_update().filter(
            member=member, state=Mandate.State.ACTIVE
        )
    )
    now = timezone.now()
    for old in previous:
        old.state = Mandate.State.REVOKED
        old.revoked_at = now
        old.save(update_fields=["state", "revoked_at"])
    number = Mandate.objects.filter(member=member).count() + 1
    mandate = Mandate.objects.create(
        member=member,
        reference=f"MLG{member.pk:09d}M{number:03d}",
        holder_name=holder_name[:70],
        iban=checked.compact,
        bic=bic_value,
        signed_on=timezone.localdate(),
    )
    audit_record(
        actor=by,
        action="dues.mandate_create",
        target=mandate,
        data={"iban": mandate.masked_iban, "replaces": [m.pk for m in previous]},
    )
    return mandate


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, by) -> Mandate:
    """The member (or a treasurer above them) ends a mandate."""
    if by.pk != mandate.member_id:
        membership = (
            Membership.objects.current()
            .filter(user_id=mandate.member_id)
            .select_related("unit")
            .first()
        )
        if membership is None or not access.can(by, "dues.manage", membership.unit):
            raise PermissionDenied(_("You may not revoke this mandate."))
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.state == Mandate.State.REVOKED:
        return mandate
    mandate.state = Mandate.State.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.save(update_fields=["state", "revoked_at"])
    audit_record(actor=by, action="dues.mandate_revoke", target=mandate)
    return mandate


@contextmanager
def _quiet_sepaxml():
    """sepaxml tests XML elements' truth value, which Python deprecates: its issue,
    not ours (the file is validated against the schema anyway)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Testing an element's truth value", DeprecationWarning
        )
        yield


def creditor_problems() -> list[str]:
    """What is wrong with the creditor settings (empty when direct debit is not set
    up at all: then it is simply off)."""
    config = _creditor_settings()
    if not any(config.values()):
        return []
    problems = []
    if not config["name"].strip():
        problems.append(_("DUES_SEPA_CREDITOR_NAME is empty."))
    try:
        check_creditor_id(config["creditor_id"])
    except ValidationError as error:
        problems.extend(f"DUES_SEPA_CREDITOR_ID: {m}" for m in error.messages)
    try:
        check_iban(config["IBAN"])
    except ValidationError as error:
        problems.extend(f"DUES_SEPA_CREDITOR_IBAN: {m}" for m in error.messages)
    if config["BIC"]:
        try:
            BIC(config["BIC"])
        except (SchwiftyException, ValueError):
            problems.append(_("DUES_SEPA_CREDITOR_BIC is not a valid BIC."))
    return problems


def _creditor_settings() -> dict:
    return {
        "name": setting("DUES_SEPA_CREDITOR_NAME", "") or "",
        "IBAN": setting("DUES_SEPA_CREDITOR_IBAN", "") or "",
        "BIC": setting("DUES_SEPA_CREDITOR_BIC", "") or "",
        "creditor_id": setting("DUES_SEPA_CREDITOR_ID", "") or "",
    }


def _creditor() -> dict:
    config = {
        "name": setting("DUES_SEPA_CREDITOR_NAME", ""),
        "IBAN": setting("DUES_SEPA_CREDITOR_IBAN", ""),
        "BIC": setting("DUES_SEPA_CREDITOR_BIC", ""),
        "creditor_id": setting("DUES_SEPA_CREDITOR_ID", ""),
    }
    missing = [name for name in ("name", "IBAN", "creditor_id") if not config[name]]
    if missing:
        raise ValidationError(
            _(
                "Direct debit is not set up on this server: the administrator sets "
                "DUES_SEPA_CREDITOR_NAME, DUES_SEPA_CREDITOR_IBAN and "
                "DUES_SEPA_CREDITOR_ID."
            )
        )
    problems = creditor_problems()
    if problems:
        raise ValidationError(
            _("The direct debit creditor settings are wrong: %(problems)s")
            % {"problems": " ".join(problems)}
        )
    config = {key: value for key, value in config.items() if value}
    config["IBAN"] = check_iban(config["IBAN"]).compact
    config["creditor_id"] = check_creditor_id(config["creditor_id"])
    config["name"] = sepa_text(config["name"], 70)
    config["batch"] = True
    config["currency"] = "EUR"
    return config


def _check_collection_date(collection_date: date) -> None:
    today = timezone.localdate()
    notice = setting("DUES_SEPA_PRENOTIFICATION_DAYS", 14)
    if not isinstance(collection_date, date):
        raise ValidationError({"collection_date": _("Give the collection date.")})
    if collection_date < today + timedelta(days=notice):
        raise ValidationError(
            {
                "collection_date": _(
                    "Members hear of each debit %(n)s days ahead: collect on "
                    "%(day)s at the earliest."
                )
                % {"n": notice, "day": (today + timedelta(days=notice)).isoformat()}
            }
        )
    furthest = setting("DUES_SEPA_MAX_DAYS_AHEAD", 365)
    if collection_date > today + timedelta(days=furthest):
        raise ValidationError(
            {
                "collection_date": _(
                    "The collection date is more than %(n)s days ahead."
                )
                % {"n": furthest}
            }
        )


def _mandate_history(mandates: list[Mandate]) -> dict[int, list[tuple[date, str]]]:
    """Each mandate's collections that stand (not returned): date, sequence type."""
    history: dict[int, list[tuple[date, str]]] = {m.pk: [] for m in mandates}
    rows = (
        Debit.objects.filter(mandate__in=mandates)
        .exclude(state=Debit.State.RETURNED)
        .values_list("mandate_id", "batch__collection_date", "sequence_type")
    )
    for mandate_id, day, sequence in rows:
        history[mandate_id].append((day, sequence))
    return history


def sequence_type(history: list[tuple[date, str]], collection_date: date) -> str:
    """FRST until a collection of the mandate has been made (one dated before this
    one, not returned: a returned first collection makes the next one first
    again), RCUR after. A collection planned before one already planned would
    make that one's type wrong: refused."""
    if any(day < collection_date for day, _ in history):
        return "RCUR"
    if history:
        raise ValidationError(
            {
                "collection_date": _(
                    "A collection of one of these mandates is already planned on "
                    "%(day)s: collect after it."
                )
                % {"day": min(day for day, _ in history).isoformat()}
            }
        )
    return "FRST"


def _expired(mandate: Mandate, history, collection_date: date) -> bool:
    """A mandate not used for 36 months lapses (EPC rulebook)."""
    months = setting("DUES_SEPA_MANDATE_EXPIRY_MONTHS", 36)
    last = max([day for day, _ in history] + [mandate.signed_on])
    return last < P.add_months(collection_date, -months)


@transaction.atomic
def debit_batch_create(
    *, unit: Unit, period: date, collection_date: date, by
) -> DebitBatch:
    """Collect the period's outstanding dues of every member of `unit` (and below)
    with an active mandate, in one pain.008 file validated against its schema;
    each member is told of their debit ahead (pre-notification). A collection is
    recorded as a payment only from its date (`debits_collect`); a member is never
    debited twice for a period (unless the first debit was returned)."""
    from sepaxml import SepaDD

    access.require(by, "dues.manage", unit)
    config = _creditor()
    schedules = load_schedules()
    loaded = schedule_on(schedules, period)
    if loaded is None or not P.is_period_start(period, loaded.period):
        raise ValidationError({"period": _("Choose a period of the schedule.")})
    _check_collection_date(collection_date)
    mandates = (
        Mandate.objects.select_for_update(of=("self",))
        .filter(state=Mandate.State.ACTIVE)
        .filter(
            Exists(
                Membership.objects.current().filter(
                    user_id=OuterRef("member_id"),
                    status=Membership.Status.ADHERENT,
                    unit__path__startswith=unit.path,
                )
            )
        )
        .exclude(
            Exists(
                Debit.objects.filter(
                    member_id=OuterRef("member_id"),
                    period=period,
                    state=Debit.State.SUBMITTED,
                )
            )
        )
        .select_related("member")
        .order_by("member_id")
    )
    mandates = list(mandates)
    history = _mandate_history(mandates)
    lapsed = [m for m in mandates if _expired(m, history[m.pk], collection_date)]
    for mandate in lapsed:
        mandate.state = Mandate.State.EXPIRED
        mandate.revoked_at = timezone.now()
        mandate.save(update_fields=["state", "revoked_at"])
        audit_record(actor=by, action="dues.mandate_expire", target=mandate)
    mandates = [m for m in mandates if m not in lapsed]
    member_ids = [m.member_id for m in mandates]
    owed = {
        row["member_id"]: row["due"] - row["paid"]
        for row in LedgerLine.objects.filter(member_id__in=member_ids, period=period)
        .values("member_id")
        .annotate(
            due=Sum("amount_cents", filter=Q(kind__in=DUE_KINDS), default=0),
            paid=Sum("amount_cents", filter=Q(kind__in=PAID_KINDS), default=0),
        )
    }
    collected = [
        (m, owed.get(m.member_id, 0)) for m in mandates if owed.get(m.member_id, 0) > 0
    ]
    if not collected:
        raise ValidationError(
            _("Nobody has dues to collect by direct debit for this period.")
        )
    sequences = {
        m.pk: sequence_type(history[m.pk], collection_date) for m, _ in collected
    }

    schema = setting("DUES_SEPA_SCHEMA", "pain.008.001.08")
    sepa = SepaDD(dict(config), schema=schema, clean=False)
    batch = DebitBatch.objects.create(
        unit=unit,
        period=period,
        collection_date=collection_date,
        message_id=sepa.msg_id[:35],
        xml="",
        created_by=by,
    )
    key = P.period_key(period, loaded.period)
    debits, total = [], 0
    for index, (mandate, amount) in enumerate(collected, start=1):
        end_to_end = f"D{batch.pk}-{index}"[:35]
        payment = {
            "name": sepa_text(mandate.holder_name, 70),
            "IBAN": mandate.iban,
            "amount": amount,
            "type": sequences[mandate.pk],
            "collection_date": collection_date,
            "mandate_id": mandate.reference,
            "mandate_date": mandate.signed_on,
            "description": sepa_text(_("Dues %(period)s") % {"period": key}, 140),
            "endtoend_id": end_to_end,
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        with _quiet_sepaxml():
            sepa.add_payment(payment)
        debits.append(
            Debit(
                batch=batch,
                mandate=mandate,
                member_id=mandate.member_id,
                period=period,
                amount_cents=amount,
                sequence_type=sequences[mandate.pk],
                end_to_end_id=end_to_end,
            )
        )
        total += amount
    Debit.objects.bulk_create(debits)
    with _quiet_sepaxml():
        xml = sepa.export(validate=True, pretty_print=True)
    batch.xml = xml.decode()
    batch.total_cents = total
    batch.count = len(debits)
    batch.save(update_fields=["xml", "total_cents", "count"])
    audit_record(
        actor=by,
        action="dues.debit_batch_create",
        target=batch,
        unit=unit,
        data={"period": period.isoformat(), "count": len(debits), "total_cents": total},
    )
    notices = [
        _prenotification(debit, mandate, config["creditor_id"], key)
        for debit, (mandate, _amount) in zip(debits, collected, strict=True)
    ]
    transaction.on_commit(lambda: _send_all(notices))
    return batch


def _prenotification(debit: Debit, mandate: Mandate, creditor_id: str, period_key):
    context = {
        "member": mandate.member,
        "amount": debit.amount_cents,
        "day": debit.batch.collection_date,
        "mandate": mandate,
        "creditor_id": creditor_id,
        "creditor": setting("DUES_SEPA_CREDITOR_NAME", ""),
        "period": period_key,
        "link": _absolute(reverse("dues:mine")),
    }
    with translation.override(setting("LANGUAGE_CODE", "fr")):
        subject = render_to_string(
            "dues/emails/prenotification_subject.txt", context
        ).strip()
        body = render_to_string("dues/emails/prenotification.txt", context)
    return EmailMessage(subject, body, None, [mandate.member.email])


@transaction.atomic
def debits_collect(*, on: date | None = None) -> int:
    """Record as payments the debits whose collection date has come (a planned
    collection is not money received before its date). Safe to run any number of
    times: each debit is recorded once (its key, and the debit row's lock)."""
    day = on or timezone.localdate()
    due = list(
        Debit.objects.select_for_update(of=("self",))
        .filter(
            state=Debit.State.SUBMITTED,
            entry__isnull=True,
            batch__collection_date__lte=day,
        )
        .select_related("batch", "mandate")
        .order_by("pk")
    )
    if not due:
        return 0
    homes = dict(
        Membership.objects.current()
        .filter(user_id__in={d.member_id for d in due})
        .values_list("user_id", "unit_id")
    )
    for debit in due:
        recorded = _write_plan(
            PaymentPlan(
                member_id=debit.member_id,
                # A member who left since still paid: recorded where they were debited.
                unit_id=homes.get(debit.member_id, debit.batch.unit_id),
                amount_cents=debit.amount_cents,
                paid_on=debit.batch.collection_date,
                method=Method.DIRECT_DEBIT,
                key=f"sepa:{debit.member_id}:{debit.period.isoformat()}:"
                f"{debit.batch_id}",
                fingerprint=fingerprint(
                    debit=debit.end_to_end_id, mandate=debit.mandate_id
                ),
                allocation=[(debit.period, debit.amount_cents)],
                reference=debit.end_to_end_id,
                note=debit.mandate.reference,
                source=Source.DIRECT_DEBIT,
            ),
            None,
        )
        debit.entry = recorded.entry
        debit.save(update_fields=["entry"])
    balances_refresh({d.member_id for d in due})
    return len(due)


@transaction.atomic
def debit_return(*, debit: Debit, by, reason: str) -> Debit:
    """Record that the bank returned a debit: the payment is taken back (a return
    entry) and the member owes the period again, which can be debited again. If a
    treasurer already corrected that payment, the correction stands for the
    return. Recording it twice changes nothing."""
    access.require(by, "dues.manage", debit.batch.unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the return reason from the bank.")})
    debit = (
        Debit.objects.select_for_update(of=("self",))
        .select_related("entry")
        .get(pk=debit.pk)
    )
    if debit.state == Debit.State.RETURNED:
        return debit
    return_entry = None
    if debit.entry is not None:
        return_entry = LedgerEntry.objects.filter(reverses=debit.entry).first()
        if return_entry is None:
            return_entry = _reversing_entry(
                entry=debit.entry,
                kind=Kind.RETURN,
                key=check_key(f"return:{debit.pk}"),
                note=reason,
                by=by,
                source=Source.DIRECT_DEBIT,
            ).entry
    debit.state = Debit.State.RETURNED
    debit.return_entry = return_entry
    debit.return_reason = reason[:140]
    debit.save(update_fields=["state", "return_entry", "return_reason"])
    audit_record(
        actor=by,
        action="dues.debit_return",
        target=debit,
        unit=debit.batch.unit,
        data={
            "member": debit.member_id,
            "amount_cents": debit.amount_cents,
            "reason": reason,
        },
    )
    return debit
