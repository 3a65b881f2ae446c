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
    deleted = 0
    while True:
        keys = list(
            Session.objects.filter(expire_date__lt=now).values_list("pk", flat=True)[:batch_size]
        )
        if not keys:
            return deleted
        deleted += Session.objects.filter(pk__in=keys).delete()[0]
        if progress:
            progress(deleted)
