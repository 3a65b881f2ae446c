import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.batches import delete_in_batches

from .buffer import interaction_buffer
from .models import DailyRollup, HourlyRollup, InteractionLog

# Nearest-rank percentiles with window functions: one pass in the database, on PostgreSQL and
# SQLite alike, whatever the number of calls in the period.
ROLLUP_SQL = """
WITH ranked AS (
    SELECT organization_id, mode, response_ms, success, input_characters, output_characters,
           ROW_NUMBER() OVER (PARTITION BY organization_id, mode ORDER BY response_ms) AS rn,
           COUNT(*) OVER (PARTITION BY organization_id, mode) AS n
    FROM analytics_interactionlog
    WHERE created_at >= %s AND created_at < %s
)
INSERT INTO {table} (period_start, organization_id, mode, count, success_count, p50_ms, p95_ms,
                     input_characters, output_characters)
SELECT %s, organization_id, mode, COUNT(*),
       SUM(CASE WHEN success THEN 1 ELSE 0 END),
       MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN response_ms END),
       MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN response_ms END),
       SUM(input_characters), SUM(output_characters)
FROM ranked
GROUP BY organization_id, mode
"""


def interaction_log_record(
    *,
    organization: Organization,
    user: User | None,
    mode: str,
    input_characters: int,
    output_characters: int,
    response_ms: int,
    success: bool,
    error_kind: str = "",
) -> InteractionLog:
    """Log one API call (the API layer calls this once per request)."""
    return InteractionLog.objects.create(
        organization=organization,
        user=user,
        mode=mode,
        input_characters=input_characters,
        output_characters=output_characters,
        response_ms=response_ms,
        success=success,
        error_kind="" if success else (error_kind or "error"),
    )


def interaction_log_buffer(
    *,
    organization_id: int,
    user_id: int | None,
    endpoint: str,
    status_code: int,
    mode: str,
    input_characters: int,
    output_characters: int,
    response_ms: int,
    error_kind: str = "",
) -> None:
    """Log one API call without touching the database now (buffered, written in batches)."""
    success = status_code < 400
    interaction_buffer.add(
        InteractionLog(
            organization_id=organization_id,
            user_id=user_id,
            endpoint=endpoint[:80],
            status_code=status_code,
            mode=mode[:20],
            input_characters=input_characters,
            output_characters=output_characters,
            response_ms=response_ms,
            success=success,
            error_kind="" if success else (error_kind or str(status_code))[:50],
            created_at=timezone.now(),
        )
    )


@transaction.atomic
def interactions_roll_up(
    *, model: type[HourlyRollup] | type[DailyRollup], start: dt.datetime, end: dt.datetime
) -> int:
    """Replace the period's roll-up rows with figures computed from the raw logs."""
    ops = connection.ops
    model.objects.filter(period_start=start).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            ROLLUP_SQL.format(table=ops.quote_name(model._meta.db_table)),
            [ops.adapt_datetimefield_value(v) for v in (start, end, start)],
        )
    return model.objects.filter(period_start=start).count()


def interaction_logs_prune(*, older_than_days: int | None = None, batch_size: int = 5000) -> int:
    """Delete raw interaction logs older than the retention; roll-ups stay."""
    days = settings.ANALYTICS_RAW_RETENTION_DAYS if older_than_days is None else older_than_days
    old = InteractionLog.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=days))
    return delete_in_batches(old, batch_size=batch_size)
