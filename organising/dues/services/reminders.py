"""Reminders to late members (once per period, politely escalating) and the monthly
summary sent to treasurers (once per unit and month)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Membership, Role, User

from .. import periods as P
from ..models import Balance, Exemption, Reminder, TreasurerSummary
from ..selectors import _late_period_counts, current_period_start
from .base import setting

log = logging.getLogger(__name__)
CHUNK = 500
MAX_LEVEL = 3


def _insert_returning(
    table: str, columns: list[str], conflict: list[str], rows: list[tuple]
):
    """INSERT the rows, skip those the unique constraint already holds, and return the
    first column of the rows actually inserted. (PostgreSQL and SQLite 3.35+ both
    support ON CONFLICT DO NOTHING RETURNING.) This is what makes "once" hold when
    two workers run the same job at the same time."""
    if not rows:
        return []
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {columns[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return [row[0] for row in cursor.fetchall()]


def _send_all(messages: list[EmailMessage]) -> None:
    if not messages:
        return
    try:
        with mailers.default as mail:
            mail.send_messages(messages)
    except Exception:  # the rows are kept: the job will not send them twice
        log.exception("dues: %d e-mails could not be sent", len(messages))


def _absolute(path: str) -> str:
    return setting("SITE_URL", "") + path


def late_members(*, on: date) -> tuple[date, list[Balance]]:
    """The current period, and the balances of adherents who are late (a period
    before the current one is not fully paid), not exempt, and not yet reminded in
    this period."""
    start, _kind = current_period_start(on)
    balances = (
        Balance.objects.filter(first_unpaid__lt=start)
        .filter(
            Exists(
                Membership.objects.current().filter(
                    user_id=OuterRef("member_id"), status=Membership.Status.ADHERENT
                )
            )
        )
        .exclude(
            Exists(
                Exemption.objects.in_force(on).filter(member_id=OuterRef("member_id"))
            )
        )
        .exclude(
            Exists(
                Reminder.objects.filter(member_id=OuterRef("member_id"), period=start)
            )
        )
        .select_related("member")
        .order_by("member_id")
    )
    return start, list(balances)


def reminders_send(*, on: date | None = None) -> int:
    """E-mail every late member once in the current period, more firmly the more
    periods they owe. Runs in chunks, each its own transaction: the reminder rows
    and the decision to send commit together, the e-mails leave after the commit.
    Returns how many were sent."""
    day = on or timezone.localdate()
    start, kind = current_period_start(day)
    grace = setting("DUES_REMINDER_GRACE_DAYS", 7)
    if day < start + timedelta(days=grace):
        return 0
    start, balances = late_members(on=day)
    sent = 0
    for index in range(0, len(balances), CHUNK):
        chunk = balances[index : index + CHUNK]
        with transaction.atomic():
            counts = _late_period_counts(
                {b.member_id: b for b in chunk}, [b.member_id for b in chunk], start
            )
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            period = connection.ops.adapt_datefield_value(start)
            rows = [
                (
                    b.member_id,
                    period,
                    min(counts[b.member_id], MAX_LEVEL),
                    counts[b.member_id],
                    now,
                )
                for b in chunk
            ]
            inserted = set(
                _insert_returning(
                    Reminder._meta.db_table,
                    ["member_id", "period", "level", "late_periods", "sent_at"],
                    ["member_id", "period"],
                    rows,
                )
            )
            messages = [
                _reminder_message(b, counts[b.member_id], P.period_key(start, kind))
                for b in chunk
                if b.member_id in inserted
            ]
            transaction.on_commit(lambda messages=messages: _send_all(messages))
            sent += len(messages)
    return sent


def _reminder_message(balance: Balance, late: int, period_key: str) -> EmailMessage:
    member = balance.member
    level = min(late, MAX_LEVEL)
    context = {
        "member": member,
        "late_periods": late,
        "level": level,
        "owed": max(0, -balance.balance_cents),
        "period": period_key,
        "link": _absolute(reverse("dues:mine")),
    }
    with translation.override(setting("LANGUAGE_CODE", "fr")):
        subject = render_to_string("dues/emails/reminder_subject.txt", context).strip()
        body = render_to_string("dues/emails/reminder.txt", context)
    return EmailMessage(subject, body, None, [member.email])


def treasurer_summaries_send(*, on: date | None = None) -> int:
    """Send each treasurer, once a month, the figures of the unit they keep: last
    month's collection, members up to date and late."""
    from ..reports import unit_summary

    day = on or timezone.localdate()
    month = day.replace(day=1)
    last_month = P.add_months(month, -1)
    roles = (
        Role.objects.filter(
            kind=Role.Kind.TREASURER, ended_on__isnull=True, user__is_active=True
        )
        .exclude(
            Exists(
                TreasurerSummary.objects.filter(
                    treasurer_id=OuterRef("user_id"),
                    unit_id=OuterRef("unit_id"),
                    month=month,
                )
            )
        )
        .select_related("user", "unit")
        .order_by("pk")
    )
    sent = 0
    for role in roles:
        with transaction.atomic():
            inserted = _insert_returning(
                TreasurerSummary._meta.db_table,
                ["treasurer_id", "unit_id", "month", "sent_at"],
                ["treasurer_id", "unit_id", "month"],
                [
                    (
                        role.user_id,
                        role.unit_id,
                        connection.ops.adapt_datefield_value(month),
                        connection.ops.adapt_datetimefield_value(timezone.now()),
                    )
                ],
            )
            if not inserted:
                continue
            summary = unit_summary(unit=role.unit, month=last_month)
            message = _summary_message(role.user, role.unit, summary)
            transaction.on_commit(lambda message=message: _send_all([message]))
            sent += 1
    return sent


def _summary_message(treasurer: User, unit, summary) -> EmailMessage:
    context = {
        "treasurer": treasurer,
        "unit": unit,
        "summary": summary,
        "link": _absolute(reverse("dues:report", kwargs={"slug": unit.slug})),
    }
    with translation.override(setting("LANGUAGE_CODE", "fr")):
        subject = render_to_string("dues/emails/summary_subject.txt", context).strip()
        body = render_to_string("dues/emails/summary.txt", context)
    return EmailMessage(subject, body, None, [treasurer.email])
