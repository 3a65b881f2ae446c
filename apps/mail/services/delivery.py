"""Delivery in batches: claim queued rows, decide each one, send over one connection, record.

A batch is a list of outbox ids. Rows are claimed a chunk at a time (`SELECT ... FOR UPDATE
SKIP LOCKED`, then queued -> sending with the claimer's id), so consumers sharing the work never
send one row twice. Each email's outcome is written as soon as the transport has answered for
it, before the next is decided: a crash leaves `sending` only the email in flight and the rest
of its chunk, in order, so `interrupted` makes the first `unknown` and queues the others
again. Each chunk also claims a few urgent rows (emails sent one by one, such as a password
reset) that are due, so those are never stuck behind a long batch. Per email: its own attempt
row, status, suppression and preference checks, version, secrets; suppressions and preferences
are read once per chunk, active versions once per batch. Retries belong to the huey task: a
transient failure puts the row back to `queued` and the task raises, huey runs it again after
its backoff, and only rows still queued are tried again.
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..exceptions import PermanentDeliveryError, TransientDeliveryError
from ..models import ESSENTIAL_CATEGORIES, DeliveryAttempt, OutboundEmail
from ..secrets import SecretsUnreadableError, unseal
from ..selectors import languages_of, preferences_for_many, suppressed_among, versions_for
from .interrupted import emails_interrupted
from .personalize import localized, render_for, supported_language
from .transport import Transport, build_message

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status
Outcome = DeliveryAttempt.Outcome
CHUNK = 25  # rows claimed together (one lock, one read of suppressions and preferences)
URGENT_PER_CHUNK = 5
# Secret values are kept only while a delivery may still need them.
_WIPE_SECRETS = {Status.SENT, Status.SUPPRESSED, Status.SKIPPED}
_FIELDS = ["status", "last_error", "subject", "version", "category", "language", "provider",
           "message_id", "sent_at", "next_attempt_at", "sealed_secrets", "updated_at"]  # fmt: skip


@dataclass
class BatchReport:
    """What one batch did: emails by outcome, and the transient errors that want a retry."""

    outcomes: dict[str, int] = field(default_factory=dict)
    retry: list[str] = field(default_factory=list)


def emails_deliver(
    *,
    email_ids: list[int],
    claim_id: str | None = None,
    retry_in: float | None = None,
    last_try: bool = True,
) -> BatchReport:
    """Send the still-queued rows among `email_ids` over one connection.

    `retry_in` is when the caller (huey's retry policy) will try again, recorded on rows put
    back to `queued`; on the `last_try` a transient error fails the row for good.
    """
    if claim_id:  # an earlier attempt of this task raised mid-chunk: settle what it left
        emails_interrupted(claim_id=claim_id)
    claim_id = claim_id or uuid.uuid4().hex
    report, pending, tried = BatchReport(), list(dict.fromkeys(email_ids)), set()
    versions: dict = {}  # active version per template key, read once per batch
    translations: dict = {}  # (template id, language) -> its active translation, likewise
    with Transport() as transport:
        while True:
            rows, pending = _claim(pending[:CHUNK], claim_id, tried), pending[CHUNK:]
            if not rows and not pending:
                break
            tried.update(row.pk for row in rows)
            if rows:
                _deliver_chunk(rows, transport, report, versions, translations,
                               retry_in=retry_in, last_try=last_try)  # fmt: skip
    if report.outcomes:
        logger.info("email batch %s: %s", claim_id[:12], report.outcomes)
    return report


def email_deliver(*, email_id: int) -> OutboundEmail:
    """Send one outbox row if it is still queued; raise `TransientDeliveryError` to retry."""
    email = OutboundEmail.objects.filter(pk=email_id).first()
    last_try = email is None or email.attempts + 1 >= settings.MAIL_MAX_ATTEMPTS
    report = emails_deliver(email_ids=[email_id], last_try=last_try)
    if report.retry:
        raise TransientDeliveryError(report.retry[0])
    return OutboundEmail.objects.get(pk=email_id)


def _claim(ids: list[int], claim_id: str, tried: set[int]) -> list[OutboundEmail]:
    """Lock and claim the queued rows among `ids`, plus a few due urgent ones not `tried`."""
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
            status=Status.SENDING, attempts=F("attempts") + 1, claim_id=claim_id, updated_at=now
        )
    rows = OutboundEmail.objects.filter(pk__in=claimed).select_related("version")
    return list(rows.order_by("pk"))


class _Stop(Exception):
    """Delivery ends without sending, for a reason that is not an error."""

    def __init__(self, status: str, outcome: str, reason: str):
        self.status, self.outcome, self.reason = status, outcome, reason
        super().__init__(reason)


@dataclass
class _Chunk:
    """What one chunk reads once for all its rows."""

    suppressed: set[str]
    preferences: dict[str, dict[str, bool]]
    versions: dict
    languages: tuple[dict[int, str], dict[str, str]]  # chosen language by user id, by address
    translations: dict  # (template id, language) -> active translated version, per batch

    def language(self, email: OutboundEmail) -> str:
        by_user, by_address = self.languages
        return supported_language(by_user.get(email.user_id) or by_address.get(email.to))


def _deliver_chunk(rows, transport, report: BatchReport, versions: dict, translations: dict, *,
                   retry_in, last_try):  # fmt: skip
    addresses = [row.to for row in rows]
    first = [row for row in rows if not row.version_id]  # version and language chosen now
    versions.update(versions_for(template_keys={r.template_key for r in first} - versions.keys()))
    chunk = _Chunk(
        suppressed=suppressed_among(addresses=addresses),
        preferences=preferences_for_many(addresses=addresses),
        versions=versions,
        languages=_languages(first),
        translations=translations,
    )
    for email in rows:  # in primary-key order: what `interrupted` relies on
        started = timezone.now()
        outcome, error = _deliver_one(email, chunk, transport)
        if outcome == Outcome.RETRY:
            if last_try or email.attempts >= settings.MAIL_MAX_ATTEMPTS:
                outcome, error = Outcome.FAILED, f"gave up after {email.attempts} attempts: {error}"
                email.status = Status.FAILED
            else:
                report.retry.append(error)
                email.next_attempt_at = timezone.now() + dt.timedelta(seconds=retry_in or 0)
        email.last_error = error
        if email.status in _WIPE_SECRETS:
            email.sealed_secrets = ""
        email.updated_at = timezone.now()
        _record(email, DeliveryAttempt(email=email, number=email.attempts, outcome=outcome,
                                       error=error, started_at=started))  # fmt: skip
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        if outcome in (Outcome.RETRY, Outcome.FAILED):
            logger.warning("email %s (%s to %s) attempt %s: %s %s", email.pk, email.template_key,
                           email.to, email.attempts, outcome, error)  # fmt: skip


def _record(email: OutboundEmail, attempt: DeliveryAttempt) -> None:
    """Write one email's outcome before the next email of the chunk is decided: a consumer
    killed mid-chunk leaves `sending` only the email it was sending and those it had not
    reached, which `interrupted` tells apart by their order."""
    with transaction.atomic():
        _save([email])
        DeliveryAttempt.objects.bulk_create([attempt])


def _save(rows: list[OutboundEmail]) -> None:
    """Write the delivery fields of each row: one small UPDATE by primary key per row, sent
    together. bulk_update's CASE over every field costs far more on PostgreSQL (about half a
    second per 25 rows), and one ORM `update()` per row waits for a round trip each; psycopg
    sends an `executemany` in one pipeline (SQLite runs it in-process)."""
    fields = [OutboundEmail._meta.get_field(name) for name in _FIELDS]
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    values = [
        [f.get_db_prep_save(getattr(email, f.attname), connection) for f in fields] + [email.pk]
        for email in rows
    ]
    with connection.cursor() as cursor:
        pk = connection.ops.quote_name(OutboundEmail._meta.pk.column)
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE {pk} = %s", values)


def _languages(rows) -> tuple[dict[int, str], dict[str, str]]:
    if not rows:
        return {}, {}
    return languages_of(user_ids=[r.user_id for r in rows], addresses=[r.to for r in rows])


def _deliver_one(email: OutboundEmail, chunk: _Chunk, transport: Transport) -> tuple[str, str]:
    """Decide and send one claimed row; set its fields; return (outcome, error)."""
    try:
        _send_one(email, chunk, transport)
    except TransientDeliveryError as error:
        email.status = Status.QUEUED
        return Outcome.RETRY, str(error)
    except PermanentDeliveryError as error:
        email.status = Status.FAILED
        return Outcome.FAILED, str(error)
    except _Stop as stop:
        email.status = stop.status
        return stop.outcome, stop.reason
    except Exception as error:
        # A bug, not the provider: record it on the row instead of leaving it `sending`.
        logger.exception("email %s failed unexpectedly", email.pk)
        email.status = Status.FAILED
        return Outcome.FAILED, f"{type(error).__name__}: {error}"
    email.status, email.sent_at = Status.SENT, timezone.now()
    return Outcome.SENT, ""


def _send_one(email: OutboundEmail, chunk: _Chunk, transport: Transport) -> None:
    if email.to in chunk.suppressed:
        raise _Stop(Status.SUPPRESSED, Outcome.SUPPRESSED, f"{email.to} is on the suppression list")
    version = email.version or chunk.versions.get(email.template_key)
    if version is None:
        raise PermanentDeliveryError(
            f"No active email template {email.template_key!r}; run "
            "`manage.py sync_email_templates` or create it in the console."
        )
    if email.version is None:  # first delivery: the recipient's language, else the default
        version = localized(
            version=version, language=chunk.language(email), cache=chunk.translations
        )
    email.version, email.category, email.language = version, version.category, version.language
    if _unsubscribed(chunk.preferences.get(email.to, {}), version.category):
        raise _Stop(Status.SKIPPED, Outcome.SKIPPED,
                    f"{email.to} unsubscribed from {version.category} emails")  # fmt: skip
    context = {**email.context, **_secret_values(email)}
    rendered = render_for(version=version, address=email.to, context=context)
    email.subject = rendered.subject[:255]
    message = build_message(email=email, rendered=rendered, category=version.category,
                            anymail=transport.is_anymail)  # fmt: skip
    email.provider = transport.provider
    email.message_id = transport.send(message)


def _secret_values(email: OutboundEmail) -> dict[str, str]:
    if email.secret_keys and not email.sealed_secrets:
        raise PermanentDeliveryError(
            "its one-time link expired before it could be sent: the user must ask for a new one"
        )
    try:
        return unseal(email.sealed_secrets)
    except SecretsUnreadableError as error:
        raise PermanentDeliveryError(str(error)) from error


def _unsubscribed(preferences: dict[str, bool], category: str) -> bool:
    return category not in ESSENTIAL_CATEGORIES and preferences.get(category) is False
