"""Task history from huey's signals, written in batches by a background thread.

A signal handler only appends a small tuple to a list (the worker goes straight back to its
task); a writer thread folds the events of each task into one TaskRun row (its latest state)
and one TaskAttempt row per attempt, and upserts them every JOBS_HISTORY_FLUSH_SECONDS. Events
reach the database from several processes in any order (the web process enqueues, a consumer
executes), so a TaskRun row keeps the state of the event with the highest rank:
attempt * 10 + phase.

The buffer is for speed, not for correctness: a consumer releases a finished task from the
broker's in-flight register only after the batch holding its outcome is written (`release_later`
below), so a consumer killed with unwritten events still holds those tasks and the reaper marks
them lost. In immediate mode (tests, inline runs) events are written at once.
"""

import atexit
import functools
import json
import logging
import os
import random
import threading
import time
import traceback
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from huey import signals as S
from huey.contrib.djhuey import HUEY

from apps.text_input import is_poisoned, scrub

from .adapter import attempt_of, consumer_name, describe

logger = logging.getLogger("apps.jobs")

PHASE = {S.SIGNAL_ENQUEUED: 0, S.SIGNAL_SCHEDULED: 0, S.SIGNAL_EXECUTING: 1}
RECORDED = (
    S.SIGNAL_ENQUEUED,
    S.SIGNAL_SCHEDULED,
    S.SIGNAL_EXECUTING,
    S.SIGNAL_COMPLETE,
    S.SIGNAL_ERROR,
    S.SIGNAL_RETRYING,
    S.SIGNAL_REVOKED,
    S.SIGNAL_LOCKED,
    S.SIGNAL_EXPIRED,
    S.SIGNAL_INTERRUPTED,
    S.SIGNAL_CANCELED,
    S.SIGNAL_TIMEOUT,
    S.SIGNAL_RATE_LIMITED,
)
# Outcomes of an attempt that ran (revoked and expired tasks never started one).
ENDS_ATTEMPT = frozenset(RECORDED) - {
    S.SIGNAL_ENQUEUED,
    S.SIGNAL_SCHEDULED,
    S.SIGNAL_EXECUTING,
    S.SIGNAL_REVOKED,
    S.SIGNAL_EXPIRED,
}
NOTE, RESULT, REAPED = "note", "result", "reaped"  # events that are not huey signals
MAX_RESULT_CHARS = 20_000
DEADLOCK_TRIES = 5
# The database being away (down, restarting, connection lost): a batch is kept and written
# later. Anything else is about the batch's content.
UNAVAILABLE = (InterfaceError, OperationalError)


class Recorder:
    """Buffers signal events and writes them as upserts, one statement per few hundred tasks."""

    def __init__(self):
        self._events: list[tuple] = []
        self._receipts: list = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._pid = None
        # While set, the writer thread leaves events buffered for an explicit `flush` (tests
        # whose rows must stay inside their own transaction).
        self.held = False

    # -- the hot path: runs inside huey's worker, keep it tiny -----------------------------
    def on_signal(self, signal: str, task, exc: BaseException | None = None) -> None:
        self._add((signal, task, attempt_of(task), time.time(), exc))

    def on_result(self, task, value, exc) -> None:
        """huey's post-execute hook: keep what the task returned."""
        if value is not None:
            self._add((RESULT, task, attempt_of(task), time.time(), value))

    def note(self, task, text: str) -> None:
        """Attach an explanation to a task's row (e.g. why a periodic copy was cancelled)."""
        if settings.JOBS_TASK_HISTORY:
            self._add((NOTE, task, attempt_of(task), time.time(), text))

    def release_later(self, receipt) -> None:
        """Release a finished task's in-flight entry once its outcome (already buffered,
        events come first) is written."""
        if HUEY.immediate:  # its events were written at once
            HUEY.release_now(receipt)
            return
        with self._lock:
            self._receipts.append(receipt)

    def _add(self, event: tuple) -> None:
        if HUEY.immediate:
            self.write([event])
            return
        with self._lock:
            self._events.append(event)
        if self._writer is None or self._pid != os.getpid():
            self._start_writer()

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
            if self.held or (not self._events and not self._receipts):
                if connected:  # idle: give the connection back (web processes mostly idle)
                    connection.close()
                    connected = False
                continue
            try:
                close_old_connections()
                connected = True
                self.flush()
            except Exception:  # the database or the broker may be down: keep trying
                logger.exception("task history flush failed")
                time.sleep(1)

    def flush(self) -> int:
        """Write every buffered event now, then release what it finished; returns how many
        tasks were written."""
        with self._flush_lock:
            with self._lock:
                events, self._events = self._events, []
                receipts, self._receipts = self._receipts, []
            try:
                written = self.write(events) if events else 0
            except Exception:
                self._keep(events, receipts)
                raise
            try:
                if receipts:
                    HUEY.release_now(*receipts)
            except Exception:  # written, but still registered: release them next time
                self._keep([], receipts)
                raise
            return written

    def discard(self) -> None:
        """Forget what is buffered, after any write in progress (tests: events of a test
        whose transaction is rolled back)."""
        with self._flush_lock, self._lock:
            self._events, self._receipts = [], []

    def _keep(self, events: list, receipts: list) -> None:
        with self._lock:  # for the next attempt, in order
            self._events[:0] = events
            self._receipts[:0] = receipts

    def write(self, events: list[tuple]) -> int:
        """Write `events`; a batch the database refuses for its content (not for being away)
        is split in halves until the one event at fault is found, which is dropped with one
        logged error: one poisoned event never stops the history."""
        try:
            batch = merge(events)
            _write(batch)
            return len(batch.runs)
        except UNAVAILABLE:  # the database is away: the caller keeps the batch for later
            raise
        except Exception:
            if len(events) == 1:
                logger.exception(
                    "task history: dropped an event it cannot write: %s", events[0][:2]
                )
                return 0
            half = len(events) // 2
            return self.write(events[:half]) + self.write(events[half:])


def record_unfinished(*, task, consumer: str, state: str, note: str) -> None:
    """Write now (not buffered) how this attempt of `task` ended with its dead `consumer`:
    `lost` (interrupted) or `unrecorded` (finished, outcome never written)."""
    event = (REAPED, task, attempt_of(task), time.time(), (consumer, state, note))
    _write(merge([event]))


@dataclass
class Batch:
    """A batch of events folded: per task, the columns its events change (`runs`); the tasks
    enqueued or scheduled in it, whose rows are written whole (`whole`); the task objects,
    for whole rows; one row per attempt that ran."""

    runs: dict[str, dict] = field(default_factory=dict)
    tasks: dict[str, tuple] = field(default_factory=dict)  # task id -> (task, first seen)
    whole: set[str] = field(default_factory=set)
    attempts: dict[tuple[str, int], dict] = field(default_factory=dict)


def merge(events: list[tuple]) -> Batch:
    """Fold a batch of events into one run row per task and one row per attempt that ran,
    later and higher-ranked events winning."""
    batch = Batch()
    runs, attempts = batch.runs, batch.attempts
    me = consumer_name()
    for signal, task, attempt, at, extra in events:
        run = runs.get(task.id)
        if run is None:
            run = runs[task.id] = _progress(task.id, at)
            batch.tasks[task.id] = (task, at)
        if signal == NOTE:
            run["note"] = extra
            continue
        if signal == RESULT:
            run["result"] = _json(extra)
            continue
        consumer, reaped = me, signal == REAPED
        if reaped:  # the reaper's word on an attempt of a dead consumer
            consumer, signal, run["note"] = extra
        phase = PHASE.get(signal, 2)
        if phase == 1 or signal in ENDS_ATTEMPT or reaped:
            key = (task.id, attempt)
            row = attempts.get(key) or attempts.setdefault(key, _new_attempt(task.id, attempt))
            _attempt_event(row, signal, at, extra, consumer)
        rank = attempt * 10 + phase
        if phase == 0:
            batch.whole.add(task.id)
            run["enqueued_at"] = run.get("enqueued_at") or at
            run["enqueued_by"] = run.get("enqueued_by") or me
        if rank < run["rank"]:
            continue
        run.update(state=signal, rank=rank, attempt=attempt, updated_at=at)
        if phase == 1:
            run.update(started_at=at, consumer=consumer, finished_at=None, duration=None)
        elif phase == 2:
            run["finished_at"] = at
            if reaped:
                run["consumer"] = consumer
            if run["started_at"]:
                run["duration"] = at - run["started_at"]
        if signal == S.SIGNAL_ERROR and extra is not None:
            run["error"] = repr(extra)[:2000]
    return batch


def _write(batch: Batch) -> None:
    """Progress of tasks whose row exists is one UPDATE (no task description, a third of the
    columns: the consumer's hot path); rows enqueued in this batch, or not written yet (their
    enqueuer's batch is late or lost), are upserted whole.

    Several processes write the same rows at once (the enqueuer inserts what consumers already
    update): each statement is its own transaction and touches its rows in task-id order, so
    two writers never hold locks the other waits for; a deadlock the database still reports
    is retried. Every statement is an idempotent merge, so writing a batch again is harmless."""
    runs = batch.runs
    progress = [runs[i] for i in sorted(runs) if i not in batch.whole]
    missing = set(batch.whole)
    for chunk in _chunks(progress):
        found = {task_id for (task_id,) in _execute(_progress_sql, chunk)}
        missing.update(run["task_id"] for run in chunk if run["task_id"] not in found)
    for chunk in _chunks([{**_new_run(*batch.tasks[i]), **runs[i]} for i in sorted(missing)]):
        _execute(_run_sql, chunk)
    for chunk in _chunks([batch.attempts[key] for key in sorted(batch.attempts)]):
        _execute(_attempt_sql, chunk)


def _chunks(rows: list[dict], size: int = 500):
    """Rows in statements of `size` (one JSON parameter each)."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _attempt_event(row: dict, signal: str, at: float, extra, consumer: str) -> None:
    row["consumer"] = consumer
    if signal == S.SIGNAL_EXECUTING:
        row.update(state=signal, started_at=at)
        return
    if signal != S.SIGNAL_RETRYING or row["state"] == S.SIGNAL_EXECUTING:
        row["state"] = signal  # a retry keeps the outcome that caused it (error, timeout...)
    row["finished_at"] = row["finished_at"] or at
    if signal == S.SIGNAL_ERROR and extra is not None:
        row["error"] = repr(extra)[:2000]
        row["traceback"] = "".join(traceback.format_exception(extra))[-20000:]


def _new_attempt(task_id: str, number: int) -> dict:
    return {
        "task_id": task_id,
        "number": number,
        "consumer": "",
        "state": S.SIGNAL_EXECUTING,
        "started_at": None,
        "finished_at": None,
        "error": "",
        "traceback": "",
    }


def _progress(task_id: str, at: float) -> dict:
    """The columns a task's events change, before any event."""
    return {
        "task_id": task_id,
        "state": S.SIGNAL_ENQUEUED,
        "rank": 0,
        "attempt": 1,
        "started_at": None,
        "finished_at": None,
        "duration": None,
        "error": "",
        "result": None,
        "consumer": "",
        "note": "",
        "updated_at": at,
    }


def _new_run(task, at: float) -> dict:
    """A whole run row for `task`, first seen at `at`, before any event."""
    name, args, kwargs = describe(task)
    job = getattr(type(task), "job_name", "")
    return {
        **_progress(task.id, at),
        "name": name,
        "queue": HUEY.name,
        "args": args,
        "kwargs": kwargs,
        "enqueued_at": None,
        "enqueued_by": "",
        "periodic_job": job,
        "period_key": str(kwargs.get("period") or "") if job else "",
        "created_at": at,
        "retry_of": "",
        "requested_by": str(kwargs.get("requested_by") or ""),
    }


def _json(value) -> str:
    """A task's return value as JSON text for the history (its repr when not JSON-able)."""
    try:
        text = json.dumps(value, cls=DjangoJSONEncoder)
    except (TypeError, ValueError):
        text = json.dumps(repr(value))
    if len(text) > MAX_RESULT_CHARS:
        text = json.dumps(text[:MAX_RESULT_CHARS] + "…")
    return text


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


recorder = Recorder()
