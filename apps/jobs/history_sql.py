"""Task history rows written as upserts: one statement, and one JSON parameter, per few
hundred rows, on PostgreSQL and SQLite alike.

The batch travels as one JSON document that the database expands into rows (PostgreSQL's
jsonb_to_recordset, SQLite's json_each): one placeholder a statement, so neither Python nor the
driver spends time on thousands of parameters. The two dialects differ only in that expansion
(`_source`) and in subtracting two times (`_seconds_between`); the merge rules (`_progress_set`)
are written once. Every statement is an idempotent merge on the rank (history_fold.py), so
writing a batch again is harmless.
"""

import functools
import json
import random
import time

from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connection, transaction

from apps.text_input import is_poisoned, scrub

from .history_fold import Batch, new_run

DEADLOCK_TRIES = 5


def upsert(batch: Batch) -> None:
    """Progress of tasks whose row exists is one UPDATE (no task description, a third of the
    columns: the consumer's hot path); rows enqueued in this batch, or not written yet (their
    enqueuer's batch is late or lost), are upserted whole.

    Several processes write the same rows at once (the enqueuer inserts what consumers already
    update): each statement is its own transaction and touches its rows in task-id order, so
    two writers never hold locks the other waits for; a deadlock the database still reports
    is retried. Every statement is an idempotent merge, so writing a batch again is harmless."""
    # Attempts first: a reader who sees a run's outcome (the console, a test waiting for it)
    # then finds the attempt that carries its traceback, never a run ahead of its attempt.
    for chunk in _chunks([batch.attempts[key] for key in sorted(batch.attempts)]):
        _execute(_attempt_sql, chunk)
    runs = batch.runs
    progress = [runs[i] for i in sorted(runs) if i not in batch.whole]
    missing = set(batch.whole)
    for chunk in _chunks(progress):
        found = {task_id for (task_id,) in _execute(_progress_sql, chunk)}
        missing.update(run["task_id"] for run in chunk if run["task_id"] not in found)
    for chunk in _chunks([{**new_run(*batch.tasks[i]), **runs[i]} for i in sorted(missing)]):
        _execute(_run_sql, chunk)


def _chunks(rows: list[dict], size: int = 500):
    """Rows in statements of `size` (one JSON parameter each)."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# -- the two upserts: one JSON parameter per statement, times as epoch seconds ----------------

TIMES = ("enqueued_at", "started_at", "finished_at", "created_at", "updated_at")
RUN_COLUMNS = (
    "task_id",
    "name",
    "queue",
    "args",
    "kwargs",
    "state",
    "rank",
    "attempt",
    "enqueued_at",
    "started_at",
    "finished_at",
    "duration",
    "error",
    "result",
    "enqueued_by",
    "consumer",
    "periodic_job",
    "period_key",
    "note",
    "created_at",
    "updated_at",
    "retry_of",
    "requested_by",
)
ATTEMPT_COLUMNS = (
    "task_id",
    "number",
    "consumer",
    "state",
    "started_at",
    "finished_at",
    "error",
    "traceback",
)
# The SQL type of each non-text column, for expanding a batch passed as one JSON document.
PG_TYPES = {
    "rank": "integer",
    "attempt": "integer",
    "number": "integer",
    "duration": "double precision",
    "args": "jsonb",
    "kwargs": "jsonb",
    **dict.fromkeys(TIMES, "double precision"),
}


def _source(columns: tuple[str, ...], is_pg: bool) -> str:
    """A SELECT over one JSON parameter holding every row: one placeholder per statement, so
    neither Python nor the driver spends time on thousands of parameters. Times travel as
    epoch seconds and become timestamps in the database; a result travels as JSON text."""
    if is_pg:
        spec = ", ".join(f"{c} {PG_TYPES.get(c, 'text')}" for c in columns)
        picks = ", ".join(
            f"to_timestamp({c}) AS {c}"
            if c in TIMES
            else f"{c}::jsonb AS {c}"
            if c == "result"
            else c
            for c in columns
        )
        return f"SELECT {picks} FROM jsonb_to_recordset(%s::jsonb) AS x({spec})"
    picks = ", ".join(
        f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', json_extract(value, '$.{c}'), 'unixepoch') AS {c}"
        if c in TIMES
        else f"json_extract(value, '$.{c}') AS {c}"
        for c in columns
    )
    return f"SELECT {picks} FROM json_each(%s) WHERE true"  # WHERE: SQLite's upsert parse


PROGRESS_COLUMNS = (
    "task_id",
    "state",
    "rank",
    "attempt",
    "started_at",
    "finished_at",
    "duration",
    "error",
    "result",
    "consumer",
    "note",
    "updated_at",
)


def _progress_set(t: str, x: str, is_pg: bool) -> str:
    """The SET list merging incoming row `x` into stored row `t`: the higher rank wins."""
    newer = f"{x}.rank >= {t}.rank"
    elapsed = _seconds_between(f"{x}.finished_at", f"{t}.started_at", is_pg)

    def when_newer(column: str) -> str:
        return f"CASE WHEN {newer} THEN {x}.{column} ELSE {t}.{column} END"

    def unless_empty(column: str) -> str:
        return f"CASE WHEN {x}.{column} <> '' THEN {x}.{column} ELSE {t}.{column} END"

    return f"""
          state = {when_newer("state")},
          attempt = {when_newer("attempt")},
          started_at = CASE WHEN {newer} AND {x}.started_at IS NOT NULL
                       THEN {x}.started_at ELSE {t}.started_at END,
          finished_at = {when_newer("finished_at")},
          duration = CASE WHEN {newer} AND {x}.started_at IS NOT NULL
                     THEN {x}.duration
                     WHEN {newer} AND {x}.finished_at IS NOT NULL AND {t}.started_at
                     IS NOT NULL THEN {elapsed}
                     ELSE {t}.duration END,
          consumer = CASE WHEN {x}.consumer <> '' AND {newer}
                     THEN {x}.consumer ELSE {t}.consumer END,
          error = {unless_empty("error")},
          result = COALESCE({x}.result, {t}.result),
          note = {unless_empty("note")},
          rank = CASE WHEN {newer} THEN {x}.rank ELSE {t}.rank END,
          updated_at = {x}.updated_at"""


@functools.cache
def _run_sql(is_pg: bool) -> str:
    t = '"jobs_taskrun"'
    return f"""
        INSERT INTO {t} ({", ".join(RUN_COLUMNS)}) {_source(RUN_COLUMNS, is_pg)}
        ON CONFLICT (task_id) DO UPDATE SET {_progress_set(t, "excluded", is_pg)},
          enqueued_at = COALESCE({t}.enqueued_at, excluded.enqueued_at),
          enqueued_by = CASE WHEN {t}.enqueued_by = '' THEN excluded.enqueued_by
                        ELSE {t}.enqueued_by END,
          period_key = CASE WHEN {t}.period_key = '' THEN excluded.period_key
                       ELSE {t}.period_key END
    """


@functools.cache
def _progress_sql(is_pg: bool) -> str:
    t = '"jobs_taskrun"'
    return f"""
        UPDATE {t} SET {_progress_set(t, "x", is_pg)}
        FROM ({_source(PROGRESS_COLUMNS, is_pg)}) AS x
        WHERE {t}.task_id = x.task_id
        RETURNING {t}.task_id
    """


@functools.cache
def _attempt_sql(is_pg: bool) -> str:
    a = '"jobs_taskattempt"'
    return f"""
        INSERT INTO {a} ({", ".join(ATTEMPT_COLUMNS)}) {_source(ATTEMPT_COLUMNS, is_pg)}
        ON CONFLICT (task_id, number) DO UPDATE SET
          consumer = CASE WHEN excluded.consumer <> '' THEN excluded.consumer
                     ELSE {a}.consumer END,
          started_at = COALESCE({a}.started_at, excluded.started_at),
          state = CASE WHEN excluded.state = 'retrying' AND {a}.finished_at IS NOT NULL
                       THEN {a}.state
                       WHEN excluded.finished_at IS NOT NULL OR {a}.finished_at IS NULL
                       THEN excluded.state ELSE {a}.state END,
          finished_at = COALESCE(excluded.finished_at, {a}.finished_at),
          error = CASE WHEN excluded.error <> '' THEN excluded.error ELSE {a}.error END,
          traceback = CASE WHEN excluded.traceback <> '' THEN excluded.traceback
                      ELSE {a}.traceback END
    """


def _execute(statement, rows: list[dict]) -> list[tuple]:
    """Run one of the statements above over `rows`, passed as one JSON document, in its own
    transaction (a savepoint inside a caller's); what it returns (the progress UPDATE: the
    task ids it found). A deadlock is retried a few times."""
    document = _document(rows)
    sql = statement(connection.vendor == "postgresql")
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [document])
                return cursor.fetchall() if cursor.description else []
        except OperationalError as error:
            if attempt == DEADLOCK_TRIES or not _deadlock(error):
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def _document(rows: list[dict]) -> str:
    """`rows` as one JSON text the database accepts: task arguments, results and errors may
    hold NULs or lone surrogates (valid JSON, refused by PostgreSQL and by UTF-8), cleaned."""
    text = json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False)
    if "\\u0000" in text or is_poisoned(text):
        text = json.dumps(scrub(rows), cls=DjangoJSONEncoder, ensure_ascii=False)
    return text


def _deadlock(error: OperationalError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a locked database (SQLite)."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in ("40P01", "40001") or "locked" in str(error)


def _seconds_between(later: str, earlier: str, is_pg: bool) -> str:
    if is_pg:
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"
