"""Housekeeping of login sessions."""

import itertools
from collections.abc import Callable

from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

# The chunks' ends, in one query: the expire_date of the `skip + 1`-th expired session, then
# of the `skip + 1`-th after that one, and so on, each hop read from the expire_date index.
EDGES = """
WITH RECURSIVE edge(expire_date) AS (
    SELECT (SELECT expire_date FROM {table} WHERE expire_date < %(now)s
             ORDER BY expire_date LIMIT 1 OFFSET %(skip)s)
    UNION ALL
    SELECT (SELECT s.expire_date FROM {table} s
             WHERE s.expire_date < %(now)s AND s.expire_date > edge.expire_date
             ORDER BY s.expire_date LIMIT 1 OFFSET %(skip)s)
      FROM edge WHERE edge.expire_date IS NOT NULL
)
SELECT expire_date FROM edge WHERE expire_date IS NOT NULL
"""


def sessions_expired_delete(
    *, batch_size: int = 100_000, progress: Callable[[int], None] | None = None
) -> int:
    """Delete expired sessions from the database in bounded chunks; returns how many.

    The chunks are keyset ranges of `expire_date` of about `batch_size` sessions each (ties at
    a chunk's end go with it): one query finds all their ends on the index, then each range
    (previous end, end] goes with one DELETE that commits on its own. No chunk rescans rows
    already deleted (PostgreSQL keeps them in the index until vacuum), no lock is held long,
    no row passes through Python, and there is one round trip per chunk. Covers the `db` and
    `cached_db` engines alike: both keep every session in this table (the cache copy of a
    cached_db session expires in Redis by itself).
    """
    table = connection.ops.quote_name(Session._meta.db_table)
    now = Session._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(EDGES.format(table=table), {"now": now, "skip": batch_size - 1})
        edges = [row[0] for row in cursor.fetchall()]
    deleted = 0
    for since, upto in itertools.pairwise([None, *edges, None]):
        deleted += _range_delete(table, now=now, since=since, upto=upto)
        if progress:
            progress(deleted)
    return deleted


def _range_delete(table: str, *, now, since, upto) -> int:
    """DELETE the expired sessions with since < expire_date <= upto (open ends when None)."""
    where, params = ["expire_date < %s"], [now]
    if since is not None:
        where.append("expire_date > %s")
        params.append(since)
    if upto is not None:
        where.append("expire_date <= %s")
        params.append(upto)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {' AND '.join(where)}", params)
        return cursor.rowcount
