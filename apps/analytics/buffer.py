"""The interaction log's write path: API calls are buffered in memory and written in batches.

A request only appends a row (no database round trip); the project's buffered writer
(apps/buffered.py) writes the rows with one INSERT every ANALYTICS_FLUSH_SECONDS, and at exit.
What a SIGKILL takes with it is at most that interval's calls: analytics figures, never money
or email.
"""

from django.conf import settings
from django.db import transaction

from apps.buffered import BufferedWriter
from apps.text_input import scrub_text

from .models import InteractionLog

TEXT_FIELDS = ("endpoint", "mode", "error_kind")
MAX_LENGTH = {name: InteractionLog._meta.get_field(name).max_length for name in TEXT_FIELDS}


class InteractionBuffer(BufferedWriter):
    """Calls waiting to be written, shared by the request threads of one process."""

    thread_name, label, what = "interaction-log", "interaction log", "API call"
    max_pending = 50_000  # the database away for long: the oldest calls go first

    def interval(self) -> float:
        return settings.ANALYTICS_FLUSH_SECONDS

    def add(self, row: InteractionLog) -> None:
        for name in TEXT_FIELDS:  # what a request sent may hold what PostgreSQL refuses
            setattr(row, name, scrub_text(getattr(row, name))[: MAX_LENGTH[name]])
        super().add(row)

    def write_batch(self, rows: list[InteractionLog]) -> int:
        # A savepoint inside a caller's transaction: a refused batch (an organization deleted
        # since the call; foreign keys are checked at its end) leaves the caller's intact.
        with transaction.atomic():
            InteractionLog.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


interaction_buffer = InteractionBuffer()
