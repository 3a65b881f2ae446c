"""Task history events folded into rows: per task, one TaskRun row (its latest state) and one
TaskAttempt row per attempt that ran.

Events reach the database from several processes in any order (the web process enqueues, a
consumer executes, the reaper speaks for a dead consumer), so a row keeps the state of the event
with the highest rank, where an attempt outranks any event of an earlier one and, within an
attempt, the phases follow each other:

    phase 0  enqueued / scheduled          rank = attempt * 10 + 0
    phase 1  executing                     rank = attempt * 10 + 1
    phase 2  any outcome (complete, error, rank = attempt * 10 + 2
             retrying, revoked, lost ...)

So attempt 2's "executing" (21) beats attempt 1's "error" (12) that arrives late, and an
attempt's "complete" (x2) beats its own "executing" (x1) whichever is written first. The SQL
merge (history_sql.py) compares the same number in the database.
"""

import json
import traceback
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from huey import signals as S
from huey.contrib.djhuey import HUEY

from .adapter import consumer_name, describe

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


def rank(attempt: int, phase: int) -> int:
    """An event's rank: phases (0-2) ordered within an attempt, attempts ordered first."""
    return attempt * 10 + phase


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
        ranked = rank(attempt, phase)
        if phase == 0:
            batch.whole.add(task.id)
            run["enqueued_at"] = run.get("enqueued_at") or at
            run["enqueued_by"] = run.get("enqueued_by") or me
        if ranked < run["rank"]:
            continue
        run.update(state=signal, rank=ranked, attempt=attempt, updated_at=at)
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


def new_run(task, at: float) -> dict:
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
