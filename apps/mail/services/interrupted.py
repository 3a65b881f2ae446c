"""Emails whose delivery was interrupted mid-send: the consumer died while sending them.

Over SMTP (and providers without idempotency keys) the receiver may already have what was in
flight (one email, or one batch call's), so it becomes `unknown` for an operator to resend or
mark sent, never re-sent silently; the emails of its chunk never handed over are simply queued
again.
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

    A delivery marks an email handed (durably) before the transport gets it (ledger.py), so
    the rows marked handed may have reached the receiver: they become `unknown`, or are queued
    again when the provider drops a second copy of a single send (its idempotency key); the
    other rows were never handed over and go back to the queue as they were. Idempotent: rows
    already settled are left alone (the reaper may announce a run twice).
    """
    rows = list(
        OutboundEmail.objects.select_for_update()
        .filter(claim_id=claim_id, status=Status.SENDING)
        .order_by("pk")
        .values_list("pk", "attempts", "handed_at")
    )
    if not rows:
        return 0
    now = timezone.now()
    handed = [(pk, attempts) for pk, attempts, at in rows if at is not None]
    untouched = [pk for pk, _, at in rows if at is None]
    # One email alone carries its own idempotency key; a batch call's key covers its set.
    safe = settings.EMAIL_PROVIDER in IDEMPOTENT_PROVIDERS and len(handed) == 1
    _settle_handed(handed, safe=safe, now=now)
    # Claimed, never handed: the claim's attempt count is given back.
    OutboundEmail.objects.filter(pk__in=untouched).update(
        status=Status.QUEUED, attempts=F("attempts") - 1, next_attempt_at=now, updated_at=now
    )
    requeue = [*(pk for pk, _ in handed if safe), *untouched]
    if requeue:
        transaction.on_commit(partial(enqueue_delivery, requeue), robust=True)
    logger.warning(
        "delivery %s interrupted: %s email(s) handed over are %s, %s never handed are queued",
        claim_id[:12],
        len(handed),
        "queued again" if safe else "unknown",
        len(untouched),
    )
    return len(rows)


def _settle_handed(handed: list[tuple[int, int]], *, safe: bool, now) -> None:
    error = (
        "the consumer died mid-send; sent again with the same idempotency key"
        if safe
        else "the consumer died mid-send: the recipient may or may not have it. Resend it, "
        "or mark it sent if it arrived."
    )
    status, outcome = (
        (Status.QUEUED, DeliveryAttempt.Outcome.RETRY)
        if safe
        else (Status.UNKNOWN, DeliveryAttempt.Outcome.UNKNOWN)
    )
    ids = [pk for pk, _ in handed]
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=status, last_error=error, next_attempt_at=now, updated_at=now, handed_at=None
    )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(email_id=pk, number=attempts, outcome=outcome, error=error, started_at=now)
        for pk, attempts in handed
    )


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
