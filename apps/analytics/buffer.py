"""The interaction log's write path: API calls are buffered in memory and written in batches.

A request only appends to a list (no database round trip); a flusher thread per process writes
the batch with one INSERT every ANALYTICS_FLUSH_SECONDS, and at exit. What a SIGKILL takes with
it is at most that interval's calls: analytics figures, never money or email.
"""

import atexit
import contextlib
import logging
import os
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection

from apps.text_input import scrub_text

from .models import InteractionLog

logger = logging.getLogger(__name__)
MAX_PENDING = 50_000  # past this (database away for long), the oldest calls are dropped
TEXT_FIELDS = ("endpoint", "mode", "error_kind")
MAX_LENGTH = {name: InteractionLog._meta.get_field(name).max_length for name in TEXT_FIELDS}


class InteractionBuffer:
    """Calls waiting to be written, shared by the request threads of one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rows: list[InteractionLog] = []
        self._pid: int | None = None
        self.dropped = 0

    def add(self, row: InteractionLog) -> None:
        for name in TEXT_FIELDS:  # what a request sent may hold what PostgreSQL refuses
            setattr(row, name, scrub_text(getattr(row, name))[: MAX_LENGTH[name]])
        with self._lock:
            self._rows.append(row)
            if len(self._rows) > MAX_PENDING:
                del self._rows[0]
                self.dropped += 1
        if settings.ANALYTICS_FLUSH_SECONDS > 0 and self._pid != os.getpid():
            self._start_flusher()

    def flush(self) -> int:
        """Write what is pending now, in this thread; returns how many rows were written."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            InteractionLog.objects.bulk_create(rows, batch_size=1000)
            return len(rows)
        except (DatabaseError, ValueError):  # a bad row (its organization deleted) or no database
            logger.exception(
                "interaction log batch failed; writing its %s rows one by one", len(rows)
            )
            return self._one_by_one(rows)

    def discard(self) -> None:
        """Forget what is pending (tests, whose rows belong to rolled-back transactions)."""
        with self._lock:
            self._rows = []

    def _one_by_one(self, rows: list[InteractionLog]) -> int:
        written = 0
        for row in rows:
            try:
                row.save(force_insert=True)
                written += 1
            except (DatabaseError, ValueError):
                self.dropped += 1
        return written

    def _start_flusher(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # after a fork (gunicorn workers) each process gets its own
        threading.Thread(target=self._flush_forever, name="interaction-log", daemon=True).start()

    def _flush_forever(self) -> None:
        while True:
            time.sleep(settings.ANALYTICS_FLUSH_SECONDS)
            try:
                self.flush()
            except Exception:
                logger.exception("interaction log flush failed")
            finally:  # one connection per write, not one held open by every idle process
                connection.close()


def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # at exit the database, even logging, may be gone
        interaction_buffer.flush()


interaction_buffer = InteractionBuffer()
atexit.register(_flush_at_exit)
