"""Messaging services: reports and moderation."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import access
from members.models import User
from organising.audit.services import audit_record

from ..models import (
    Notification,
    Post,
    Report,
)
from .notifications import notification_create


@transaction.atomic
def post_report(*, post: Post, by: User, reason: str) -> Report:
    """A member who sees a post reports it to the officers of its unit (once)."""
    if not access.can(by, "post.report", post):
        raise Http404
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is wrong with this post.")})
    existing = Report.objects.filter(
        post=post, reporter=by, resolved_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    report = Report.objects.create(
        post=post, reporter=by, unit=post.moderation_unit, reason=reason[:500]
    )
    for user_id in access.told_of_reports(post.moderation_unit):
        if user_id != by.pk:
            notification_create(
                recipient=User(pk=user_id),
                kind=Notification.Kind.REPORT,
                actor=by,
                post=post,
                text=reason[:300],
            )
    return report


@transaction.atomic
def report_resolve(*, report: Report, by: User) -> Report:
    access.require(by, "content.moderate", report.unit)
    if report.resolved_at is None:
        report.resolved_at, report.resolved_by = timezone.now(), by
        report.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(actor=by, action="report.resolve", target=report, unit=report.unit)
    return report
