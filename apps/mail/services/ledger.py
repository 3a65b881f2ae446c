"""Where a delivery writes each email's outcome, and which emails it hands to the transport.

The rule that keeps a crash honest: an email is handed to the transport only once the outcome
of every email before it, and its own `handed_at` mark, are durable. So of a dead delivery's
`sending` rows, those marked handed may have reached the receiver (they become `unknown`) and
the others certainly did not (they go back to the queue): a kill leaves in doubt at most what
was in flight, one email over SMTP, one batch call with a provider's batch endpoint.

| step (per email)                 | written                                  | waits for     |
| -------------------------------- | ---------------------------------------- | ------------- |
| claim a chunk                    | rows `sending`; the first marked handed  | (the claim)   |
| decide, render, build N          | -                                        | -             |
| hand N to the transport          | -                                        | the ledger    |
| record N                         | N's outcome, N+1 marked handed, one commit | -           |

A commit waits for the disk (PostgreSQL's WAL flush) for about as long as rendering and building
the next email takes, so outside a transaction the ledger commits from a thread of its own and
the delivery waits for it only before the next hand-off: the two overlap. Inside a caller's
transaction (a test, an inline run) it writes at once, in the caller's transaction.
"""

import contextlib
import queue
import threading

from django.db import connection, transaction
from django.utils import timezone

from ..models import DeliveryAttempt, OutboundEmail

_FIELDS = [
    "status",
    "last_error",
    "subject",
    "version",
    "category",
    "language",
    "provider",
    "message_id",
    "sent_at",
    "next_attempt_at",
    "sealed_secrets",
    "updated_at",
    "handed_at",
]


class Ledger:
    """Outcomes and hand-off marks of one delivery, written in order."""

    def __init__(self):
        self._threaded = not connection.in_atomic_block
        self._jobs: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._failed: BaseException | None = None

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join()
        if exc[0] is None:
            self._raise_failure()

    def record(
        self, emails: list[OutboundEmail], attempts: list[DeliveryAttempt], *, hand: list[int] = ()
    ) -> None:
        """Write these emails' outcomes (their hand-off marks cleared) and mark `hand` handed,
        in one transaction; in order after what was recorded before."""
        for email in emails:
            email.handed_at = None
        self._submit((list(emails), list(attempts), list(hand)))

    def hand(self, ids: list[int]) -> None:
        """Mark `ids` handed, durably, before they go to the transport."""
        self._submit(([], [], list(ids)))
        self.settled()

    def settled(self) -> None:
        """Wait until everything recorded so far is durable (before a hand-off)."""
        if self._writer is not None:
            self._jobs.join()
        self._raise_failure()

    def _submit(self, job: tuple) -> None:
        if not self._threaded:
            _write(*job)
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._run, name="mail-ledger", daemon=True)
            self._writer.start()
        self._jobs.put(job)

    def _run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    if self._failed is None:  # after a failure nothing more is written
                        _write(*job)
                except BaseException as error:
                    self._failed = error
                finally:
                    self._jobs.task_done()
        finally:
            self._jobs.task_done()
            connection.close()  # this thread's own connection

    def _raise_failure(self) -> None:
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed


def _write(emails: list[OutboundEmail], attempts: list[DeliveryAttempt], hand: list[int]):
    """One transaction; on PostgreSQL its statements go in one pipeline (one round trip
    before the commit's)."""
    with transaction.atomic(), _pipeline():
        if emails:
            _save(emails)
            _insert_attempts(attempts)
        if hand:
            _hand(hand)


@contextlib.contextmanager
def _pipeline():
    if connection.vendor != "postgresql":
        yield
        return
    with connection.connection.pipeline():
        yield


def _hand(ids: list[int]) -> None:
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET handed_at = %s WHERE id IN ({marks}) AND status = %s",
            [timezone.now(), *ids, OutboundEmail.Status.SENDING],
        )


def _insert_attempts(attempts: list[DeliveryAttempt]) -> None:
    """The attempts, with no RETURNING (nothing reads their ids): nothing to wait for."""
    fields = [f for f in DeliveryAttempt._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(DeliveryAttempt._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = [[f.get_db_prep_save(f.pre_save(a, True), connection) for f in fields] for a in attempts]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _save(rows: list[OutboundEmail]) -> None:
    """Write the delivery fields of each row: one small UPDATE by primary key per row, sent
    together. bulk_update's CASE over every field costs far more on PostgreSQL (about half a
    second per 25 rows), and one ORM `update()` per row waits for a round trip each; psycopg
    sends an `executemany` in one pipeline (SQLite runs it in-process)."""
    fields = [OutboundEmail._meta.get_field(name) for name in _FIELDS]
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    values = [
        [f.get_db_prep_save(getattr(email, f.attname), connection) for f in fields] + [email.pk]
        for email in rows
    ]
    with connection.cursor() as cursor:
        pk = connection.ops.quote_name(OutboundEmail._meta.pk.column)
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE {pk} = %s", values)
