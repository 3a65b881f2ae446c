"""Emails whose delivery was interrupted mid-send: the consumer died while sending them.

Over SMTP (and providers without idempotency keys) the receiver may already have the email
that was in flight, so it becomes `unknown` for an operator to resend or mark sent, never
re-sent silently; the emails of its chunk it had not reached are simply queued again.
Providers that take an idempotency key (Resend: the key is the outbox id) drop a second copy,
so there the email is simply queued again.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
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

    Delivery writes each email's outcome before it decides the next, in primary-key order, so
    of the rows still `sending` only the first can have reached the transport: it becomes
    `unknown` (or is queued again where the provider drops a second copy); the others were
    never handed over and go back to the queue as they were. Idempotent: rows already settled
    are left alone (the reaper may announce a run twice).
    """
    rows = list(
        OutboundEmail.objects.select_for_update()
        .filter(claim_id=claim_id, status=Status.SENDING)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    if not rows:
        return 0
    now, (first, attempts), untouched = timezone.now(), rows[0], [pk for pk, _ in rows[1:]]
    safe = settings.EMAIL_PROVIDER in IDEMPOTENT_PROVIDERS
    error = (
        "the consumer died mid-send; sent again with the same idempotency key"
        if safe
        else "the consumer died mid-send: the recipient may or may not have it. Resend it, "
        "or mark it sent if it arrived."
    )
    status, outcome = (Status.QUEUED, DeliveryAttempt.Outcome.RETRY) if safe else (
        Status.UNKNOWN, DeliveryAttempt.Outcome.UNKNOWN)  # fmt: skip
    OutboundEmail.objects.filter(pk=first).update(
        status=status, last_error=error, next_attempt_at=now, updated_at=now
    )
    DeliveryAttempt.objects.create(
        email_id=first, number=attempts, outcome=outcome, error=error, started_at=now
    )
    # Claimed, never tried: the claim's attempt count is given back.
    OutboundEmail.objects.filter(pk__in=untouched).update(
        status=Status.QUEUED, attempts=F("attempts") - 1, next_attempt_at=now, updated_at=now
    )
    requeue = [first, *untouched] if safe else untouched
    if requeue:
        transaction.on_commit(partial(enqueue_delivery, requeue), robust=True)
    logger.warning(
        "delivery %s interrupted: email %s is %s, %s never tried are queued again",
        claim_id[:12], first, status, len(untouched),
    )  # fmt: skip
    return len(rows)


def emails_stale_sending_settle(*, older_than_seconds: int) -> int:
    """Settle claims whose rows have sat `sending` for longer than any delivery takes: what
    neither the reaper nor a retry of their task settled (its last attempt raised mid-chunk,
    or the database lost the latest outcomes in a crash). How many emails were settled."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stale = OutboundEmail.objects.filter(status=Status.SENDING, updated_at__lt=cutoff)
    claims = list(stale.values_list("claim_id", flat=True).distinct()[:100])
    return sum(emails_interrupted(claim_id=claim) for claim in claims)


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
