from typing import Any

from django.db import models

from .models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    unit=None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record who did `action` to `target`; call it inside the change's transaction."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        unit=unit,
        data=data or {},
    )
