"""Many emails of one template at once: one INSERT per chunk, delivery in batches.

On PostgreSQL a chunk goes in as one `INSERT ... SELECT FROM jsonb_to_recordset(...) RETURNING
id`: no model instance per row (what the digest and reports spent their enqueue time on);
elsewhere through `bulk_create`.
"""

import json
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..models import OutboundEmail
from ..selectors import preferences_for_many
from .outbox import enqueue_delivery, row_fields, template_category

CHUNK = 500  # rows per INSERT


def send_email_many(
    *,
    template_key: str,
    recipients: list[dict],
    subscribed_only: bool = False,
    chunk_size: int = CHUNK,
) -> int:
    """Queue one email per recipient in the caller's transaction; deliver in batches on commit.

    Each recipient is a dict with `to` and `context`, optionally `dedupe_key`, `user_id` and
    `secrets` (as `send_email` takes them). A recipient whose dedupe key was queued before is
    skipped; a bad one raises `ContextError` and nothing is queued. Returns how many were
    queued. Rows are marked `bulk`: single emails (urgent ones) go before them.

    With `subscribed_only`, recipients whose preferences turn the template's category down
    (switched off, or an opt-in category such as the digest never asked for) are left out:
    nothing is queued for them. Without it their rows are queued and delivery marks them
    skipped, a trace of each decision (too many traces for an opt-in email few asked for).
    """
    category = template_category(template_key)
    if subscribed_only and category:
        recipients = _subscribed(recipients, category)
    rows = [_fields(template_key, category, recipient) for recipient in recipients]
    queued: list[int] = []
    with transaction.atomic():
        for start in range(0, len(rows), chunk_size):
            queued += _insert(rows[start : start + chunk_size])
    if queued:
        transaction.on_commit(partial(enqueue_delivery, queued), robust=True)
    return len(queued)


def _subscribed(recipients: list[dict], category: str) -> list[dict]:
    """The recipients whose preferences let `category` through (one query)."""
    # Preferences are stored under the lower-case address, as `preference_set` writes them.
    wanted = preferences_for_many(addresses={recipient["to"].lower() for recipient in recipients})
    return [r for r in recipients if wanted[r["to"].lower()].get(category, True)]


def _fields(template_key: str, category: str | None, recipient: dict) -> dict:
    return row_fields(
        template_key=template_key,
        to=recipient["to"],
        context=recipient.get("context", {}),
        dedupe_key=recipient.get("dedupe_key"),
        user_id=recipient.get("user_id"),
        secrets=recipient.get("secrets"),
        category=category,
        bulk=True,
    )


def _insert(rows: list[dict]) -> list[int]:
    """Insert the rows not queued before (by dedupe key); the ids of those still to send."""
    keys = [row["dedupe_key"] for row in rows if row["dedupe_key"] is not None]
    taken = (
        set(OutboundEmail.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        if keys
        else set()
    )
    fresh, seen = [], set()
    for row in rows:  # the first of two equal keys in one call wins, as with send_email
        key = row["dedupe_key"]
        if key is None or (key not in taken and key not in seen):
            fresh.append(row)
            seen.add(key)
    queued = [row for row in fresh if row.get("status", "queued") == "queued"]
    others = [row for row in fresh if row.get("status", "queued") != "queued"]
    try:
        with transaction.atomic():
            ids = _insert_queued(queued)
            OutboundEmail.objects.bulk_create(OutboundEmail(**row) for row in others)
    except IntegrityError:  # a concurrent sender took one of the keys: one at a time, then
        ids = [pk for row in queued if (pk := _one(row)) is not None]
    return ids


def _insert_queued(rows: list[dict]) -> list[int]:
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return [
            row.pk
            for row in OutboundEmail.objects.bulk_create(OutboundEmail(**fields) for fields in rows)
        ]
    now = timezone.now()
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    # The chunk travels as one JSON document (one parameter to quote, not ten arrays of them).
    sql = (
        f'INSERT INTO {table} ("template_key", "to", "user_id", "category", "context", '
        '"secret_keys", "sealed_secrets", "dedupe_key", "is_test", "bulk", "subject", "status", '
        '"provider", "message_id", "attempts", "last_error", "claim_id", "next_attempt_at", '
        '"created_at", "updated_at") '
        "SELECT t.*, '', 'queued', '', '', 0, '', '', %s, %s, %s "
        'FROM jsonb_to_recordset(%s::jsonb) AS t(template_key text, "to" text, '
        "user_id integer, category text, context jsonb, secret_keys jsonb, sealed_secrets text, "
        "dedupe_key text, is_test boolean, bulk boolean) RETURNING id"
    )
    names = [
        "template_key",
        "to",
        "user_id",
        "category",
        "context",
        "secret_keys",
        "sealed_secrets",
        "dedupe_key",
        "is_test",
        "bulk",
    ]
    document = json.dumps([{name: row[name] for name in names} for row in rows])
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, now, document])
        return [pk for (pk,) in cursor.fetchall()]


def _one(fields: dict) -> int | None:
    row = OutboundEmail(**fields)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None  # queued by someone else meanwhile: sent once, by them
    return row.pk
