"""The monthly quota reset: close the earlier months' usage records, open the new month's.

Set-based SQL in bounded chunks. A chunk is one keyset range of organization ids (from past
the previous chunk up to the `chunk_size`-th next id, read from the primary key's index),
handled by two statements in one short transaction: an UPDATE closing that range's open
records of earlier months, and an INSERT ... SELECT opening the new month at zero with each
organization's live plan allowance (Free without a live subscription). No row passes through
Python, a crash loses at most the chunk in flight, and a re-run changes nothing (ON CONFLICT
DO NOTHING; closed rows stay). Plain SQL that PostgreSQL and SQLite both run.
"""

import datetime as dt
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Organization

from .models import Plan, Subscription, UsageRecord
from .services import FREE_PLAN_CODE

Progress = Callable[[int], None] | None


def _names() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "usage": quote(UsageRecord._meta.db_table),
        "org": quote(Organization._meta.db_table),
        "sub": quote(Subscription._meta.db_table),
        "plan": quote(Plan._meta.db_table),
    }


CLOSE = """
UPDATE {usage} SET closed_at = %(now)s, updated_at = %(now)s
 WHERE organization_id > %(low)s AND organization_id <= %(high)s
   AND period_start < %(month)s AND closed_at IS NULL
"""
OPEN = """
INSERT INTO {usage}
       (organization_id, period_start, characters_used, characters_limit, closed_at, updated_at)
SELECT o.id, %(month)s, 0,
       COALESCE((SELECT p.monthly_characters FROM {sub} s JOIN {plan} p ON p.id = s.plan_id
                  WHERE s.organization_id = o.id AND s.status <> %(canceled)s LIMIT 1),
                %(free)s),
       NULL, %(now)s
  FROM {org} o
 WHERE o.id > %(low)s AND o.id <= %(high)s
    ON CONFLICT (organization_id, period_start) DO NOTHING
"""


def reset_parameters(*, month: dt.date, now: dt.datetime) -> dict:
    """The statements' parameters, adapted for the database in use."""
    free = Plan.objects.filter(code=FREE_PLAN_CODE).values_list("monthly_characters", flat=True)
    return {
        "month": UsageRecord._meta.get_field("period_start").get_db_prep_value(month, connection),
        "now": UsageRecord._meta.get_field("updated_at").get_db_prep_value(now, connection),
        "canceled": Subscription.Status.CANCELED.value,
        "free": free.first() or 0,
    }


def usage_month_open(*, month: dt.date, chunk_size: int = 5000, progress: Progress = None) -> dict:
    """Close every usage record of a month before `month` and open `month`'s for every org."""
    params = reset_parameters(month=month, now=timezone.now())
    close, open_ = (sql.format(**_names()) for sql in (CLOSE, OPEN))
    closed = opened = low = 0
    while True:
        edge = _chunk_end(after=low, size=chunk_size)
        high = 2**63 - 1 if edge is None else edge  # the last chunk: everything past `low`
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(close, {**params, "low": low, "high": high})
            closed += cursor.rowcount
            cursor.execute(open_, {**params, "low": low, "high": high})
            opened += cursor.rowcount
        if progress:
            progress(opened)
        if edge is None:
            break
        low = edge
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return {"closed": closed, "opened": opened, "previous": f"{previous:%Y-%m}"}


def _chunk_end(*, after: int, size: int) -> int | None:
    """The id of the `size`-th organization after `after` (from the index); None past the end."""
    ids = Organization.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    return next(iter(ids[size - 1 : size]), None)
