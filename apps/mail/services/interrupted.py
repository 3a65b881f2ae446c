"""Emails whose delivery was interrupted mid-send: the consumer died while sending them.

Over SMTP (and providers without idempotency keys) the receiver may already have such an
email, so it becomes `unknown` for an operator to resend or mark sent, never re-sent silently.
Providers that take an idempotency key (Resend: the key is the outbox id) drop a second copy,
so there the email is simply queued again.
"""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DeliveryAttempt, OutboundEmail
from .outbox import enqueue_delivery

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status
# EMAIL_PROVIDER values whose API honours our idempotency key (see apps.mail.backends).
IDEMPOTENT_PROVIDERS = {"resend"}


@transaction.atomic
def emails_interrupted(*, claim_id: str) -> int:
    """Settle the rows a dead delivery had claimed and left `sending`; how many there were.

    Idempotent: rows already settled are left alone (the reaper may announce a run twice).
    """
    rows = list(
        OutboundEmail.objects.select_for_update()
        .filter(claim_id=claim_id, status=Status.SENDING)
        .values_list("pk", "attempts")
    )
    if not rows:
        return 0
    now, ids = timezone.now(), [pk for pk, _ in rows]
    safe = settings.EMAIL_PROVIDER in IDEMPOTENT_PROVIDERS
    error = (
        "the consumer died mid-send; sent again with the same idempotency key"
        if safe
        else "the consumer died mid-send: the recipient may or may not have it. Resend it, "
        "or mark it sent if it arrived."
    )
    status, outcome = (Status.QUEUED, DeliveryAttempt.Outcome.RETRY) if safe else (
        Status.UNKNOWN, DeliveryAttempt.Outcome.UNKNOWN)  # fmt: skip
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=status, last_error=error, next_attempt_at=now, updated_at=now
    )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(email_id=pk, number=attempts, outcome=outcome, error=error, started_at=now)
        for pk, attempts in rows
    )
    if safe:
        transaction.on_commit(partial(enqueue_delivery, ids), robust=True)
    logger.warning("%d email(s) interrupted mid-send are %s", len(ids), status)
    return len(ids)


def email_mark_sent(*, email: OutboundEmail) -> bool:
    """An operator confirms an `unknown` email arrived; False when it was not unknown."""
    now = timezone.now()
    return bool(
        OutboundEmail.objects.filter(pk=email.pk, status=Status.UNKNOWN).update(
            status=Status.SENT,
            sent_at=now,
            updated_at=now,
            sealed_secrets="",
            last_error="marked sent by an operator after an interrupted delivery",
        )
    )
