"""Housekeeping of login sessions."""

from collections.abc import Callable

from django.contrib.sessions.models import Session
from django.utils import timezone


def sessions_expired_delete(
    *, batch_size: int = 5000, progress: Callable[[int], None] | None = None
) -> int:
    """Delete expired sessions from the database in batches; returns how many.

    Covers the `db` and `cached_db` engines alike: both keep every session in this table (the
    cache copy of a cached_db session expires in Redis by itself).
    """
    now = timezone.now()
    deleted, since = 0, None
    while True:
        expired = Session.objects.filter(expire_date__lt=now)
        if since is not None:
            expired = expired.filter(expire_date__gt=since)
        # The batch is an expire_date range ending at the batch_size-th row: one range DELETE
        # per batch, and each batch starts past the last (no rescanning deleted rows).
        edge = list(
            expired.order_by("expire_date").values_list("expire_date", flat=True)[
                batch_size - 1 : batch_size
            ]
        )
        batch = expired.filter(expire_date__lte=edge[0]) if edge else expired
        count = batch.delete()[0]
        deleted += count
        if not edge:
            return deleted
        since = edge[0]
        if progress:
            progress(deleted)
