"""Task history from huey's signals, written in batches by a background thread.

A signal handler only appends a small tuple to a list (the worker goes straight back to its
task); a writer thread merges the events of each task and upserts one row per task every
JOBS_HISTORY_FLUSH_SECONDS. Events reach the database from several processes in any order
(the web process enqueues, a consumer executes), so each row keeps the state of the event with
the highest rank: attempt * 10 + phase. Shutdown hooks and atexit flush what is left.
In immediate mode (tests, inline runs) events are written at once, in the caller's transaction.
"""

import atexit
import json
import logging
import os
import socket
import threading
import time
import traceback

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction
from huey import signals as S
from huey.contrib.djhuey import HUEY

logger = logging.getLogger("apps.jobs")

PHASE = {
    S.SIGNAL_ENQUEUED: 0,
    S.SIGNAL_SCHEDULED: 0,
    S.SIGNAL_EXECUTING: 1,
}
RECORDED = (
    S.SIGNAL_ENQUEUED, S.SIGNAL_SCHEDULED, S.SIGNAL_EXECUTING, S.SIGNAL_COMPLETE,
    S.SIGNAL_ERROR, S.SIGNAL_RETRYING, S.SIGNAL_REVOKED, S.SIGNAL_LOCKED, S.SIGNAL_EXPIRED,
    S.SIGNAL_INTERRUPTED, S.SIGNAL_CANCELED, S.SIGNAL_TIMEOUT, S.SIGNAL_RATE_LIMITED,
)  # fmt: skip
NOTE = "note"
COLUMNS = (
    "task_id", "name", "queue", "args", "kwargs", "state", "rank", "attempt", "enqueued_at",
    "started_at", "finished_at", "duration", "error", "traceback", "enqueued_by", "consumer",
    "periodic_job", "period_key", "note", "created_at", "updated_at", "retry_of", "requeued_as",
    "requested_by",
)  # fmt: skip


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Recorder:
    """Buffers signal events and writes them as upserts, one statement per few hundred tasks."""

    def __init__(self):
        self._events: list[tuple] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._pid = None

    # -- the hot path: runs inside huey's worker, keep it tiny -----------------------------
    def on_signal(self, signal: str, task, exc: BaseException | None = None) -> None:
        if signal == S.SIGNAL_EXECUTING or signal in PHASE:
            attempt = max(1, type(task).default_retries - task.retries + 1)
            if signal == S.SIGNAL_EXECUTING:  # huey may reset retries before the outcome
                task._jobs_attempt = attempt
        else:
            attempt = getattr(task, "_jobs_attempt", 1)
        event = (signal, task, task.args, task.kwargs, attempt, time.time(), exc)
        if HUEY.immediate:
            self.write([event])
            return
        with self._lock:
            self._events.append(event)
        if self._writer is None or self._pid != os.getpid():
            self._start_writer()

    def note(self, task, text: str) -> None:
        """Attach an explanation to a task's row (e.g. why a periodic copy was cancelled)."""
        if not settings.JOBS_TASK_HISTORY:
            return
        self.on_signal(NOTE, task, RuntimeError(text))

    # -- the writer -----------------------------------------------------------------------
    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._writer = threading.Thread(target=self._loop, name="jobs-history", daemon=True)
            self._writer.start()
        atexit.register(self.flush)

    def _loop(self) -> None:
        connected = False
        while True:
            self._wake.wait(settings.JOBS_HISTORY_FLUSH_SECONDS)
            self._wake.clear()
            if not self._events:
                if connected:  # idle: give the connection back (web processes mostly idle)
                    connection.close()
                    connected = False
                continue
            try:
                close_old_connections()
                connected = True
                self.flush()
            except Exception:  # the database may be down for a moment: keep trying
                logger.exception("task history flush failed")
                time.sleep(1)

    def flush(self) -> int:
        """Write every buffered event now; returns how many tasks were written."""
        with self._flush_lock:
            with self._lock:
                events, self._events = self._events, []
            if not events:
                return 0
            try:
                return self.write(events)
            except Exception:
                with self._lock:  # keep them for the next attempt, in order
                    self._events[:0] = events
                raise

    def write(self, events: list[tuple]) -> int:
        rows = merge(events)
        with transaction.atomic():
            for start in range(0, len(rows), 500):
                _upsert(rows[start : start + 500])
        return len(rows)


def merge(events: list[tuple]) -> list[dict]:
    """Fold a batch of events into one row per task, later and higher-ranked events winning."""
    rows: dict[str, dict] = {}
    me = consumer_name()
    for signal, task, args, kwargs, attempt, ts, exc in events:
        at = ts  # epoch seconds: the database turns them into timestamps
        row = rows.get(task.id) or rows.setdefault(task.id, _new_row(task, args, kwargs, at))
        if signal == NOTE:
            row["note"] = str(exc)
            continue
        phase = PHASE.get(signal, 2)
        rank = attempt * 10 + phase
        if signal in (S.SIGNAL_ENQUEUED, S.SIGNAL_SCHEDULED):
            row["enqueued_at"] = row["enqueued_at"] or at
            row["enqueued_by"] = row["enqueued_by"] or me
        if rank < row["rank"]:
            continue
        row.update(state=signal, rank=rank, attempt=attempt, updated_at=at)
        if signal == S.SIGNAL_EXECUTING:
            row.update(started_at=at, consumer=me, finished_at=None, duration=None)
        elif phase == 2:
            row["finished_at"] = at
            if row["started_at"]:
                row["duration"] = at - row["started_at"]
        if signal == S.SIGNAL_ERROR and exc is not None:
            row["error"] = repr(exc)[:2000]
            row["traceback"] = "".join(traceback.format_exception(exc))[-20000:]
    return list(rows.values())


def _new_row(task, args, kwargs, at: float) -> dict:
    from .periodic import spec_for_task

    spec = spec_for_task(task)
    kwargs = {k: v for k, v in kwargs.items() if k != "task"}
    return {
        "task_id": task.id,
        "name": f"{type(task).__module__}.{type(task).__name__}",
        "queue": HUEY.name,
        "args": list(args),
        "kwargs": kwargs,
        "state": S.SIGNAL_ENQUEUED,
        "rank": 0,
        "attempt": 1,
        "enqueued_at": None,
        "started_at": None,
        "finished_at": None,
        "duration": None,
        "error": "",
        "traceback": "",
        "enqueued_by": "",
        "consumer": "",
        "periodic_job": spec.name if spec else "",
        "period_key": str(kwargs.get("period") or "") if spec else "",
        "note": "",
        "created_at": at,
        "updated_at": at,
        "retry_of": "",
        "requeued_as": "",
        "requested_by": str(kwargs.get("requested_by") or ""),
    }


TIMES = ("enqueued_at", "started_at", "finished_at", "created_at", "updated_at")
# The SQL type of each column, for expanding a batch passed as one JSON document.
PG_TYPES = {
    "rank": "integer", "attempt": "integer", "duration": "double precision",
    "args": "jsonb", "kwargs": "jsonb", **dict.fromkeys(TIMES, "double precision"),
}  # fmt: skip


def _batch_source(is_pg: bool) -> str:
    """A SELECT over one JSON parameter holding every row: one placeholder per statement, so
    neither Python nor the driver spends time on thousands of parameters. Times travel as
    epoch seconds and become timestamps in the database."""
    if is_pg:
        spec = ", ".join(f"{c} {PG_TYPES.get(c, 'text')}" for c in COLUMNS)
        picks = ", ".join(f"to_timestamp({c})" if c in TIMES else c for c in COLUMNS)
        return f"SELECT {picks} FROM jsonb_to_recordset(%s::jsonb) AS x({spec})"
    picks = ", ".join(
        f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', json_extract(value, '$.{c}'), 'unixepoch')"
        if c in TIMES
        else f"json_extract(value, '$.{c}')"
        for c in COLUMNS
    )
    return f"SELECT {picks} FROM json_each(%s) WHERE true"  # WHERE: SQLite's upsert parse


def _upsert(rows: list[dict]) -> None:
    table = connection.ops.quote_name("jobs_taskrun")
    is_pg = connection.vendor == "postgresql"
    params = [json.dumps(rows, cls=DjangoJSONEncoder)]
    newer = f"excluded.rank >= {table}.rank"

    def when_newer(column: str) -> str:
        return f"CASE WHEN {newer} THEN excluded.{column} ELSE {table}.{column} END"

    sql = f"""
        INSERT INTO {table} ({", ".join(COLUMNS)}) {_batch_source(is_pg)}
        ON CONFLICT (task_id) DO UPDATE SET
          state = {when_newer("state")},
          attempt = {when_newer("attempt")},
          started_at = CASE WHEN {newer} AND excluded.started_at IS NOT NULL
                       THEN excluded.started_at ELSE {table}.started_at END,
          finished_at = {when_newer("finished_at")},
          duration = CASE WHEN {newer} AND excluded.started_at IS NOT NULL
                     THEN excluded.duration
                     WHEN {newer} AND excluded.finished_at IS NOT NULL AND {table}.started_at
                     IS NOT NULL THEN {
        _seconds_between("excluded.finished_at", f"{table}.started_at", is_pg)
    }
                     ELSE {table}.duration END,
          consumer = CASE WHEN excluded.consumer <> '' AND {newer}
                     THEN excluded.consumer ELSE {table}.consumer END,
          enqueued_at = COALESCE({table}.enqueued_at, excluded.enqueued_at),
          enqueued_by = CASE WHEN {table}.enqueued_by = '' THEN excluded.enqueued_by
                        ELSE {table}.enqueued_by END,
          error = CASE WHEN excluded.error <> '' THEN excluded.error ELSE {table}.error END,
          traceback = CASE WHEN excluded.traceback <> '' THEN excluded.traceback
                      ELSE {table}.traceback END,
          note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE {table}.note END,
          period_key = CASE WHEN {table}.period_key = '' THEN excluded.period_key
                       ELSE {table}.period_key END,
          rank = CASE WHEN {newer} THEN excluded.rank ELSE {table}.rank END,
          updated_at = excluded.updated_at
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _seconds_between(later: str, earlier: str, is_pg: bool) -> str:
    if is_pg:
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"


recorder = Recorder()
