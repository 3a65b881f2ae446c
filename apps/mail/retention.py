"""Retention of the send log and provider events (each with its own setting)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from apps.batches import delete_in_batches

from .models import EmailEvent, OutboundEmail

FINISHED = [
    OutboundEmail.Status.SENT,
    OutboundEmail.Status.FAILED,
    OutboundEmail.Status.SUPPRESSED,
    OutboundEmail.Status.SKIPPED,
]


def email_log_prune(*, batch_size: int = 2000) -> dict:
    """Delete finished outbox rows (with their attempts) and events past their retention."""
    now = timezone.now()
    old_emails = OutboundEmail.objects.filter(
        status__in=FINISHED,
        created_at__lt=now - dt.timedelta(days=settings.MAIL_LOG_RETENTION_DAYS),
    )
    old_events = EmailEvent.objects.filter(
        received_at__lt=now - dt.timedelta(days=settings.MAIL_EVENT_RETENTION_DAYS)
    )
    return {
        "events": delete_in_batches(old_events, batch_size=batch_size),
        "emails": delete_in_batches(old_emails, batch_size=batch_size),
    }
