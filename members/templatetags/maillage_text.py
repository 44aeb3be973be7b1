"""Values shown as words, not codes: membership statuses, audit actions, periods.

`{% load maillage_text %}` then `{{ viewer.status|status_label }}`,
`{{ entry.action|audit_label }}`, `{{ "2026-11"|period_label }}` ("novembre 2026")."""

import re
from datetime import date

from django import template
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

register = template.Library()

STATUS_LABELS = {
    "adherent": _("adherent"),
    "sympathiser": _("sympathiser"),
    "former": _("former member"),
    "anonymous": _("visitor"),
}

# Every action code written to the audit trail, as the history page says it.
AUDIT_LABELS = {
    "agenda.feed_token": _("renewed an agenda feed link"),
    "agenda.reminder_preference": _("chose when to be reminded of events"),
    "amendment.propose": _("proposed an amendment"),
    "amendment.vote_closed": _("recorded the vote on an amendment"),
    "amendment.withdraw": _("withdrew an amendment"),
    "application.accept": _("accepted a request to join"),
    "application.decline": _("declined a request to join"),
    "application.remind": _("reminded the officers of a request to join"),
    "application.submit": _("asked to join"),
    "comment.create": _("commented on a document"),
    "comment.resolve": _("resolved a comment"),
    "contact.bulk_read": _("read a list of contacts"),
    "contact.consent": _("recorded a contact's consent"),
    "contact.consent_withdraw": _("recorded a contact's withdrawal of consent"),
    "contact.create": _("added a contact"),
    "contact.edit": _("edited a contact"),
    "contact.erase": _("erased a contact"),
    "contact.export": _("exported contacts"),
    "contact.import": _("imported contacts"),
    "contact.import_create": _("prepared a contacts import"),
    "contact.invite": _("invited a contact to join"),
    "contact.joined": _("joined, as a former contact"),
    "contact.merge": _("merged duplicate contacts"),
    "contact.reassign": _("reassigned a contact's follow-up"),
    "contact.share": _("shared a contact"),
    "contact.unshare": _("stopped sharing a contact"),
    "contact.view": _("viewed a contact"),
    "csv.export": _("exported a list"),
    "document.create": _("created a document"),
    "document.restore": _("restored a revision of a document"),
    "document.save": _("saved a document"),
    "document.settings": _("changed a document's settings"),
    "dues.charge_correct": _("corrected a dues call"),
    "dues.charges_issue": _("called the dues of a period"),
    "dues.debit_batch_create": _("prepared a direct debit batch"),
    "dues.debit_return": _("recorded a returned direct debit"),
    "dues.declaration_set": _("declared an income bracket"),
    "dues.entry_reverse": _("corrected a dues entry"),
    "dues.exemption_end": _("ended an exemption from dues"),
    "dues.exemption_grant": _("granted an exemption from dues"),
    "dues.import_cancel": _("cancelled a payments import"),
    "dues.import_confirm": _("confirmed a payments import"),
    "dues.import_create": _("imported payments"),
    "dues.mandate_create": _("signed a direct debit mandate"),
    "dues.mandate_expire": _("let a direct debit mandate expire"),
    "dues.mandate_revoke": _("revoked a direct debit mandate"),
    "dues.member_amounts": _("viewed members' dues"),
    "dues.payment_declare": _("declared a payment"),
    "dues.payment_declared_confirm": _("confirmed a declared payment"),
    "dues.payment_declared_reject": _("rejected a declared payment"),
    "dues.payment_record": _("recorded a payment"),
    "dues.postal_address_set": _("gave a postal address"),
    "dues.receipt_issue": _("issued a dues receipt"),
    "dues.receipt_replace": _("replaced a dues receipt"),
    "dues.receipts_issue_bulk": _("issued the year's dues receipts"),
    "dues.schedule_create": _("set a dues schedule"),
    "event.create": _("created an event"),
    "event.edit": _("edited an event"),
    "event.import": _("imported events"),
    "event.occurrence_cancel": _("cancelled an event's date"),
    "event.occurrence_move": _("moved an event's date"),
    "event.publish": _("published an event"),
    "event.status": _("changed an event's status"),
    "event.submit": _("submitted an event to the unit above"),
    "file.delete": _("deleted a file"),
    "file.upload": _("uploaded a file"),
    "group.approve": _("approved a group member"),
    "group.create": _("created a group"),
    "member.invite": _("invited a member"),
    "member.join": _("joined by invitation"),
    "member.password_choose": _("chose their password"),
    "members.export": _("exported the members' list"),
    "members.view": _("viewed the members' list"),
    "membership.create": _("opened a membership"),
    "membership.end": _("ended a membership"),
    "membership.transfer": _("transferred a member"),
    "petition.create": _("created a petition"),
    "petition.edit": _("edited a petition"),
    "petition.status": _("changed a petition's status"),
    "post.hide": _("hid a post"),
    "post.relay": _("relayed a post"),
    "post.unhide": _("showed a post again"),
    "report.resolve": _("resolved a report"),
    "role.assign": _("gave an office"),
    "role.end": _("ended an office"),
    "territory.add": _("added a commune to the territory"),
    "territory.remove": _("removed a commune from the territory"),
    "token.create": _("created an API token"),
    "token.revoke": _("revoked an API token"),
    "token.revoke_all": _("revoked all their API tokens"),
    "unit.create": _("created a unit"),
    "vote.close": _("closed a vote"),
    "vote.create": _("created a vote"),
    "vote.edit": _("edited a vote"),
    "vote.open": _("opened a vote"),
    "vote.proxy.give": _("gave a proxy"),
    "vote.proxy.withdraw": _("withdrew a proxy"),
    "vote.weights": _("set delegates' weights"),
}


@register.filter
def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


@register.filter
def audit_label(code: str) -> str:
    """The action in words; a code without a label yet is shown as it is."""
    return str(AUDIT_LABELS.get(code, code))


@register.filter
def period_label(key: str) -> str:
    """A month key "2026-11" as "novembre 2026"; other keys (quarters, years) as they
    are."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(key))
    if not match:
        return key
    return formats.date_format(
        date(int(match[1]), int(match[2]), 1), "YEAR_MONTH_FORMAT"
    )


@register.simple_tag
def colon() -> str:
    """A colon after a label: with the narrow no-break space French puts before it,
    none in English (`{% translate "Balance" %}{% colon %} 0,00 €`)."""
    # The same msgid as Django's form label suffix: our French catalogue gives both
    # the narrow no-break space (Django's own gives a plain one).
    return gettext(":")
