"""Task history from huey's signals, written in batches in the background.

A signal handler only appends a small tuple (the worker goes straight back to its task); the
project's buffered writer (apps/buffered.py) folds the events of each task into one TaskRun row
and one TaskAttempt row per attempt (history_fold.py) and upserts them (history_sql.py) every
JOBS_HISTORY_FLUSH_SECONDS. One poisoned event is dropped alone; the database being away keeps
the batch for later.

The buffer is for speed, not for correctness: a consumer releases a finished task from the
broker's in-flight register only after the batch holding its outcome is written (`release_later`
below), so a consumer killed with unwritten events still holds those tasks and the reaper marks
them lost. In immediate mode (tests, inline runs) events are written at once.
"""

import time

from django.conf import settings
from huey.contrib.djhuey import HUEY

from apps.buffered import BufferedWriter

from .adapter import attempt_of
from .history_fold import NOTE, REAPED, RECORDED, RESULT, merge
from .history_sql import upsert

__all__ = ["RECORDED", "record_unfinished", "recorder"]


class Recorder(BufferedWriter):
    """Buffers signal events and writes them as upserts, one statement per few hundred tasks."""

    thread_name, label, what = "jobs-history", "task history", "event"

    def __init__(self):
        super().__init__()
        self._receipts: list = []  # finished tasks to release once their events are written

    def interval(self) -> float:
        return settings.JOBS_HISTORY_FLUSH_SECONDS

    def write_now(self) -> bool:
        return HUEY.immediate

    def write_batch(self, events: list[tuple]) -> int:
        batch = merge(events)
        upsert(batch)
        return len(batch.runs)

    # -- the hot path: runs inside huey's worker, keep it tiny -----------------------------
    def on_signal(self, signal: str, task, exc: BaseException | None = None) -> None:
        self.add((signal, task, attempt_of(task), time.time(), exc))

    def on_result(self, task, value, exc) -> None:
        """huey's post-execute hook: keep what the task returned."""
        if value is not None:
            self.add((RESULT, task, attempt_of(task), time.time(), value))

    def note(self, task, text: str) -> None:
        """Attach an explanation to a task's row (e.g. why a periodic copy was cancelled)."""
        if settings.JOBS_TASK_HISTORY:
            self.add((NOTE, task, attempt_of(task), time.time(), text))

    def release_later(self, receipt) -> None:
        """Release a finished task's in-flight entry once its outcome (already buffered,
        events come first) is written."""
        if self.write_now():  # its events were written at once
            HUEY.release_now(receipt)
            return
        with self._lock:
            self._receipts.append(receipt)

    # -- writing ---------------------------------------------------------------------------
    def flush(self) -> int:
        """Write every buffered event now, then release what it finished; returns how many
        tasks were written."""
        with self._flush_lock:
            # Receipts first: each one's events were buffered before it, so they are in the
            # batch taken next (or written already).
            with self._lock:
                receipts, self._receipts = self._receipts, []
            try:
                written = self._flush_pending()
                if receipts:
                    HUEY.release_now(*receipts)
            except BaseException:  # database or broker away: release them next time
                with self._lock:
                    self._receipts[:0] = receipts
                raise
            return written

    def has_pending(self) -> bool:
        return super().has_pending() or bool(self._receipts)

    def discard(self) -> None:
        with self._flush_lock, self._lock:
            self._pending, self._receipts = [], []


def record_unfinished(*, task, consumer: str, state: str, note: str) -> None:
    """Write now (not buffered) how this attempt of `task` ended with its dead `consumer`:
    `lost` (interrupted) or `unrecorded` (finished, outcome never written)."""
    event = (REAPED, task, attempt_of(task), time.time(), (consumer, state, note))
    upsert(merge([event]))


recorder = Recorder()
