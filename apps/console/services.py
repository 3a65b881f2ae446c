from typing import Any

from django.db import models

from .models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEntry:
    """Record an operator action or a template change in the audit trail."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        before=before,
        after=after,
        note=note,
    )
