"""Delivery in batches: claim queued rows, decide each one, send, record.

A batch is a list of outbox ids. Rows are claimed a chunk at a time (`SELECT ... FOR UPDATE
SKIP LOCKED`, then queued -> sending with the claimer's id), so consumers sharing the work never
send one row twice. Each chunk also claims a few urgent rows (emails sent one by one, such as a
password reset) that are due, so those are never stuck behind a long batch. Per email: its own
attempt row, status, suppression and preference checks, version, secrets (compose.py);
suppressions and preferences are read once per chunk, active versions once per batch.

Over SMTP (and every provider without a batch module) the emails go one at a time over one
open connection; with a provider's batch endpoint (apps.mail.providers: Postmark, Resend) the
chunk's emails go in as few calls as it allows, each message's own answer recorded on its row.
An email is handed to the transport only once the outcomes before it and its own hand-off mark
are durable (ledger.py), so a crash leaves in doubt only what was in flight. Retries belong to
the huey task: a transient failure puts the row back to `queued` and the task raises, huey runs
it again after its backoff, and only rows still queued are tried again; when a transient failure
is final instead is the one rule of retries.py.
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..exceptions import PermanentDeliveryError, TransientDeliveryError
from ..models import DeliveryAttempt, OutboundEmail
from ..providers import ResponseLost
from .compose import Stop, chunk_read, message_for
from .interrupted import emails_interrupted
from .ledger import ClaimLost, Ledger
from .retries import is_last_try
from .transport import Transport

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status
Outcome = DeliveryAttempt.Outcome
CHUNK = 25  # rows claimed together over SMTP (one lock, one read of suppressions, preferences)
URGENT_PER_CHUNK = 5
# Secret values are kept only while a delivery may still need them.
_WIPE_SECRETS = {Status.SENT, Status.SUPPRESSED, Status.SKIPPED}
LOST_ANSWER = (
    "the provider's answer was lost: it may or may not have accepted it. Resend it, or mark "
    "it sent if it arrived."
)


@dataclass
class BatchReport:
    """What one batch did: emails by outcome, and the transient errors that want a retry."""

    outcomes: dict[str, int] = field(default_factory=dict)
    retry: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """One delivery task's state: how to send, where to record, what it read once."""

    transport: Transport
    ledger: Ledger
    report: BatchReport
    retry_in: float | None
    last_try: bool
    versions: dict = field(default_factory=dict)  # active version per template key
    translations: dict = field(default_factory=dict)  # (template id, language) -> version


def emails_deliver(
    *,
    email_ids: list[int],
    claim_id: str | None = None,
    retry_in: float | None = None,
    last_try: bool = True,
) -> BatchReport:
    """Send the still-queued rows among `email_ids`.

    `retry_in` is when the caller (huey's retry policy) will try again, recorded on rows put
    back to `queued`; `last_try` says the caller will not run again (`is_last_try` for its
    task), so a transient error fails the row for good, as it does once a row has had all its
    tries.
    """
    if claim_id:  # an earlier attempt of this task raised mid-chunk: settle what it left
        emails_interrupted(claim_id=claim_id)
    claim_id = claim_id or uuid.uuid4().hex
    pending, tried, report = list(dict.fromkeys(email_ids)), set(), BatchReport()
    with Transport() as transport, Ledger(claim_id=claim_id) as ledger:
        run = _Run(transport, ledger, report, retry_in, last_try)
        size = transport.batch.max_batch if transport.batch else CHUNK
        while True:
            rows = _claim(pending[:size], claim_id, tried, hand_first=not transport.batch)
            pending = pending[size:]
            if not rows and not pending:
                break
            tried.update(row.pk for row in rows)
            if rows:
                _deliver_chunk(rows, run)
    if report.outcomes:
        logger.info("email batch %s: %s", claim_id[:12], report.outcomes)
    return report


def email_deliver(*, email_id: int) -> OutboundEmail:
    """Send one outbox row if it is still queued; raise `TransientDeliveryError` to retry.

    The caller may call again for as long as the row has tries left: the row's own count
    decides when a transient error is final (`is_last_try`).
    """
    report = emails_deliver(email_ids=[email_id], last_try=False)
    if report.retry:
        raise TransientDeliveryError(report.retry[0])
    return OutboundEmail.objects.get(pk=email_id)


def _claim(ids: list[int], claim_id: str, tried: set[int], *, hand_first: bool):
    """Lock and claim the queued rows among `ids`, plus a few due urgent ones not `tried`;
    with `hand_first`, the first (in the order they are sent) is marked handed."""
    now = timezone.now()
    with transaction.atomic():
        queued = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
            status=Status.QUEUED
        )
        claimed = list(queued.filter(pk__in=ids).values_list("pk", flat=True)) if ids else []
        urgent = queued.filter(bulk=False, next_attempt_at__lte=now).exclude(
            pk__in=[*claimed, *tried]
        )
        claimed += urgent.order_by("next_attempt_at").values_list("pk", flat=True)[
            :URGENT_PER_CHUNK
        ]
        if not claimed:
            return []
        OutboundEmail.objects.filter(pk__in=claimed).update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            claim_id=claim_id,
            updated_at=now,
            handed_at=None,
        )
        if hand_first:
            OutboundEmail.objects.filter(pk=min(claimed)).update(handed_at=now)
    rows = OutboundEmail.objects.filter(pk__in=claimed).select_related("version")
    return list(rows.order_by("pk"))


def _deliver_chunk(rows: list[OutboundEmail], run: _Run) -> None:
    chunk = chunk_read(rows, versions=run.versions, translations=run.translations)
    if run.transport.batch:
        _deliver_batched(rows, chunk, run)
        return
    for index, email in enumerate(rows):  # in primary-key order, each handed by the one before
        started, after = timezone.now(), [row.pk for row in rows[index + 1 : index + 2]]
        outcome, error, _ = _decided(email, lambda e=email: _send_one(e, chunk, run))
        _conclude(run, [(email, outcome, error, started)], hand=after)


def _send_one(email: OutboundEmail, chunk, run: _Run) -> None:
    message = message_for(email, chunk, run.transport)
    run.transport.prepare(message)  # while the ledger commits what came before
    run.ledger.settled()  # what came before, and this email's hand-off mark, are durable
    email.message_id = run.transport.send(message)


def _deliver_batched(rows: list[OutboundEmail], chunk, run: _Run) -> None:
    """Compose every row, then send the sendable ones in as few calls as the provider takes."""
    ready = []
    for email in rows:
        started = timezone.now()
        outcome, error, message = _decided(
            email, lambda e=email: message_for(e, chunk, run.transport)
        )
        if outcome == Outcome.SENT:  # composed, not sent yet
            ready.append((email, message, started))
        else:
            _conclude(run, [(email, outcome, error, started)])
    size = run.transport.batch.max_batch
    for start in range(0, len(ready), size):
        _send_batch(ready[start : start + size], run)


def _send_batch(batch: list[tuple], run: _Run) -> None:
    emails = [email for email, _, _ in batch]
    run.ledger.hand([email.pk for email in emails])
    try:
        answers = run.transport.send_batch([message for _, message, _ in batch])
    except ResponseLost as error:
        results = [_lost(email, error) for email in emails]
    except TransientDeliveryError as error:
        results = [_failed(email, Status.QUEUED, Outcome.RETRY, str(error)) for email in emails]
    except PermanentDeliveryError as error:
        results = [_failed(email, Status.FAILED, Outcome.FAILED, str(error)) for email in emails]
    else:
        results = [_answered(email, answer) for email, answer in zip(emails, answers, strict=True)]
    _conclude(
        run,
        [
            (e, outcome, error, started)
            for (e, _, started), (outcome, error) in zip(batch, results, strict=True)
        ],
    )


def _answered(email: OutboundEmail, answer) -> tuple[str, str]:
    if not answer.error:
        email.message_id = answer.message_id
        email.status, email.sent_at = Status.SENT, timezone.now()
        return Outcome.SENT, ""
    if answer.transient:
        return _failed(email, Status.QUEUED, Outcome.RETRY, answer.error)
    return _failed(email, Status.FAILED, Outcome.FAILED, answer.error)


def _lost(email: OutboundEmail, error: Exception) -> tuple[str, str]:
    logger.error("email %s: %s (%s)", email.pk, LOST_ANSWER, error)
    return _failed(email, Status.UNKNOWN, Outcome.UNKNOWN, LOST_ANSWER)


def _failed(email: OutboundEmail, status: str, outcome: str, error: str) -> tuple[str, str]:
    email.status, email.sent_at = status, None
    return outcome, error


def _decided(email: OutboundEmail, act) -> tuple[str, str, object]:
    """Run `act` (compose, and send when not batching) for one claimed row and set its status:
    (outcome, error, what `act` returned). SENT means done without error (batched: composed
    and ready to send)."""
    try:
        value = act()
    except ClaimLost:
        raise  # not this email's outcome: the delivery stops (ledger.py)
    except TransientDeliveryError as error:
        return (*_failed(email, Status.QUEUED, Outcome.RETRY, str(error)), None)
    except PermanentDeliveryError as error:
        return (*_failed(email, Status.FAILED, Outcome.FAILED, str(error)), None)
    except Stop as stop:
        return (*_failed(email, stop.status, stop.outcome, stop.reason), None)
    except Exception as error:
        # A bug, not the provider: record it on the row instead of leaving it `sending`.
        logger.exception("email %s failed unexpectedly", email.pk)
        said = f"{type(error).__name__}: {error}"
        return (*_failed(email, Status.FAILED, Outcome.FAILED, said), None)
    email.status, email.sent_at = Status.SENT, timezone.now()
    return Outcome.SENT, "", value


def _conclude(run: _Run, results: list[tuple], *, hand: list[int] = ()) -> None:
    """Settle each (email, outcome, error, started) under the one retry policy, then record
    them all (and mark `hand` handed) in one ledger entry."""
    attempts = []
    for email, outcome, error, started in results:
        if outcome == Outcome.RETRY:
            # The task's verdict (tasks.py asked the same rule) or the email's own count.
            if run.last_try or is_last_try(attempts=email.attempts):
                outcome, error = Outcome.FAILED, f"gave up after {email.attempts} attempts: {error}"
                email.status = Status.FAILED
            else:
                run.report.retry.append(error)
                email.next_attempt_at = timezone.now() + dt.timedelta(seconds=run.retry_in or 0)
        email.last_error = error
        if email.status in _WIPE_SECRETS:
            email.sealed_secrets = ""
        email.updated_at = timezone.now()
        attempts.append(
            DeliveryAttempt(
                email=email, number=email.attempts, outcome=outcome, error=error, started_at=started
            )
        )
        run.report.outcomes[outcome] = run.report.outcomes.get(outcome, 0) + 1
        if outcome in (Outcome.RETRY, Outcome.FAILED, Outcome.UNKNOWN):
            logger.warning(
                "email %s (%s to %s) attempt %s: %s %s",
                email.pk,
                email.template_key,
                email.to,
                email.attempts,
                outcome,
                error,
            )
    run.ledger.record([r[0] for r in results], attempts, hand=hand)
