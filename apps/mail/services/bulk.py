"""Many emails of one template at once: one bulk INSERT per chunk, delivery in batches."""

from functools import partial

from django.db import IntegrityError, transaction

from ..models import OutboundEmail
from .outbox import enqueue_delivery, new_row, template_category

CHUNK = 500  # rows per INSERT


def send_email_many(*, template_key: str, recipients: list[dict], chunk_size: int = CHUNK) -> int:
    """Queue one email per recipient in the caller's transaction; deliver in batches on commit.

    Each recipient is a dict with `to` and `context`, optionally `dedupe_key`, `user_id` and
    `secrets` (as `send_email` takes them). A recipient whose dedupe key was queued before is
    skipped; a bad one raises `ContextError` and nothing is queued. Returns how many were
    queued. Rows are marked `bulk`: single emails (urgent ones) go before them.
    """
    category = template_category(template_key)
    rows = [_row(template_key, category, recipient) for recipient in recipients]
    queued: list[int] = []
    for start in range(0, len(rows), chunk_size):
        queued += _insert(rows[start : start + chunk_size])
    if queued:
        transaction.on_commit(partial(enqueue_delivery, queued), robust=True)
    return len(queued)


def _row(template_key: str, category: str | None, recipient: dict) -> OutboundEmail:
    return new_row(
        template_key=template_key,
        to=recipient["to"],
        context=recipient.get("context", {}),
        dedupe_key=recipient.get("dedupe_key"),
        user_id=recipient.get("user_id"),
        secrets=recipient.get("secrets"),
        category=category,
        bulk=True,
    )


def _insert(rows: list[OutboundEmail]) -> list[int]:
    """Insert the rows not queued before (by dedupe key); the ids of those still to send."""
    keys = [row.dedupe_key for row in rows if row.dedupe_key is not None]
    taken = set(
        OutboundEmail.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh = {}
    for row in rows:  # the first of two equal keys in one call wins, as with send_email
        if row.dedupe_key is None or (row.dedupe_key not in taken and row.dedupe_key not in fresh):
            fresh[row.dedupe_key or id(row)] = row
    try:
        with transaction.atomic():
            created = OutboundEmail.objects.bulk_create(fresh.values())
    except IntegrityError:  # a concurrent sender took one of the keys: one at a time, then
        created = [_one(row) for row in fresh.values()]
    return [row.pk for row in created if row is not None and row.status == row.Status.QUEUED]


def _one(row: OutboundEmail) -> OutboundEmail | None:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None  # queued by someone else meanwhile: sent once, by them
    return row
