"""The one way this project writes in the background: a hot path (a huey signal, an API request)
only appends an item to a list; a daemon thread per process writes the list in batches every
`interval()` seconds, and once more at exit. Used by the task history (apps/jobs/recorder.py)
and the interaction log (apps/analytics/buffer.py). Generic: imports nothing of the project.

What a batch meets when it is written:

    database away (UNAVAILABLE) ──> the batch goes back in front of the list, in order, and
                                    the thread tries again a second later
    refused for its content     ──> split in halves until the one item at fault is found;
                                    that item alone is dropped, with one logged error
    written                     ──> gone from memory

The halving is why no writer retries a poisoned batch for ever: a lone surrogate in one task's
arguments once stopped the whole task history until a restart. What a SIGKILL takes with it is
at most one interval's items; a writer whose items matter more (the task history) makes its
owner keep a copy elsewhere until they are written (see Recorder.release_later).
"""

import atexit
import contextlib
import logging
import os
import threading
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connection

logger = logging.getLogger(__name__)

# The database being away (down, restarting, connection lost, SQLite locked): write later.
# Anything else a write raises is about the batch's content.
UNAVAILABLE = (InterfaceError, OperationalError)


class BufferedWriter:
    """Items appended by many threads of one process, written in batches by one thread."""

    thread_name = "buffered-writer"
    label, what = "buffered writes", "item"  # how the logs name the writer and one item
    max_pending: int | None = None  # past this (database away for long) the oldest are dropped

    def __init__(self):
        self._pending: list = []
        self._lock = threading.Lock()  # guards the list: held for an append or a swap only
        self._flush_lock = threading.Lock()  # one batch written at a time, in order
        self._pid: int | None = None
        self.dropped = 0
        # While set, the thread leaves items buffered for an explicit `flush` (tests whose
        # rows must stay inside their own transaction).
        self.held = False

    # -- what a writer says about itself ---------------------------------------------------
    def interval(self) -> float:
        """Seconds between two writes; 0 or less: no thread, only explicit flushes."""
        raise NotImplementedError

    def write_batch(self, items: list) -> int:
        """Store `items` (raising as the database does); returns how many records it wrote."""
        raise NotImplementedError

    def write_now(self) -> bool:
        """Whether an item is written as it comes instead of buffered (inline task runs)."""
        return False

    # -- the hot path ----------------------------------------------------------------------
    def add(self, item) -> None:
        if self.write_now():
            self.write([item])
            return
        with self._lock:
            self._pending.append(item)
            if self.max_pending is not None and len(self._pending) > self.max_pending:
                del self._pending[0]
                self.dropped += 1
        if self._pid != os.getpid() and self.interval() > 0:
            self._start()

    # -- writing -----------------------------------------------------------------------------
    def flush(self) -> int:
        """Write what is pending now, in this thread; returns how many records were written.
        The database being away raises, the items kept for the next flush."""
        with self._flush_lock:
            return self._flush_pending()

    def _flush_pending(self) -> int:
        with self._lock:
            items, self._pending = self._pending, []
        if not items:
            return 0
        try:
            return self.write(items)
        except BaseException as error:
            # Only what was not written: the database can go away half-way through halving a
            # poisoned batch, and the halves written by then must not be written twice.
            self._keep(getattr(error, "unwritten", items))
            raise

    def write(self, items: list) -> int:
        """Write `items`, dropping only the ones the database refuses for their content."""
        try:
            return self.write_batch(items)
        except UNAVAILABLE as away:
            away.unwritten = getattr(away, "unwritten", items)
            raise
        except Exception:
            if len(items) == 1:
                self.dropped += 1
                logger.exception("%s: dropped an %s it cannot write", self.label, self.what)
                return 0
            half = len(items) // 2
            try:
                written = self.write(items[:half])
            except UNAVAILABLE as away:
                away.unwritten = [*away.unwritten, *items[half:]]
                raise
            return written + self.write(items[half:])

    def has_pending(self) -> bool:
        return bool(self._pending)

    def discard(self) -> None:
        """Forget what is pending, after any write in progress (tests: items of a test whose
        transaction is rolled back)."""
        with self._flush_lock, self._lock:
            self._pending = []

    def _keep(self, items: list) -> None:
        with self._lock:  # in front, in order, for the next attempt
            self._pending[:0] = items

    # -- the thread --------------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            first = self._pid is None
            self._pid = os.getpid()  # after a fork (gunicorn, huey workers) each process its own
        threading.Thread(target=self._loop, name=self.thread_name, daemon=True).start()
        if first:
            atexit.register(self._flush_at_exit)

    def _loop(self) -> None:
        connected = False
        while True:
            pause = self.interval()
            time.sleep(pause if pause > 0 else 0.1)
            if pause <= 0 or self.held or not self.has_pending():  # off, held, or nothing
                if connected:  # idle: give the connection back (web processes mostly idle)
                    connection.close()
                    connected = False
                continue
            try:
                close_old_connections()
                connected = True
                self.flush()
            except Exception:  # the database (or the broker) is away: keep trying
                logger.exception("%s flush failed", self.label)
                time.sleep(1)

    def _flush_at_exit(self) -> None:
        with contextlib.suppress(Exception):  # at exit the database, even logging, may be gone
            self.flush()
