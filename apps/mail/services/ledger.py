"""Where a delivery writes each email's outcome, and which emails it hands to the transport.

The rule that keeps a crash honest: an email is handed to the transport only once the outcome
of every email before it, and its own `handed_at` mark, are durable. So of a dead delivery's
`sending` rows, those marked handed may have reached the receiver (they become `unknown`) and
the others certainly did not (they go back to the queue): a kill leaves in doubt at most what
was in flight, one email over SMTP, one batch call with a provider's batch endpoint.

| step (per email)                 | written                                      | waits for  |
| -------------------------------- | -------------------------------------------- | ---------- |
| claim a chunk                    | rows `sending`; the first marked handed      | the claim  |
| decide, render, build N          | -                                            | -          |
| hand N to the transport          | -                                            | the ledger |
| record N                         | N's outcome, N+1 marked handed: one commit   | -          |

Every write names the delivery's claim: a delivery that stalled (a paused consumer) past the
point where the reaper declared it dead finds, when it resumes, that its `sending` rows were
settled and may be another delivery's by now. Its outcomes then change nothing, and the next
hand-off mark does not take: `ClaimLost` stops it before it hands anything more.

A commit waits for the disk (PostgreSQL's WAL flush) about as long as composing the next email
takes. On PostgreSQL the ledger therefore writes over a connection of its own in pipeline mode:
a record's statements and its COMMIT are sent at once and the delivery composes the next email
while the server works, collecting the answer only before the next hand-off (no thread: a
writer thread waited for the interpreter lock behind the composing one). Elsewhere (SQLite),
and inside a caller's transaction (a test, an inline run), it writes at once through Django's
connection, in that transaction.
"""

import contextlib
import select

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg import pq

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


class ClaimLost(Exception):
    """The delivery's rows were settled by someone else (it was declared dead): stop."""


class Ledger:
    """Outcomes and hand-off marks of one delivery (its claim), written in order."""

    def __init__(self, *, claim_id: str):
        self.claim_id = claim_id
        pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._own = _Pipelined() if pipelined else None

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        if self._own is not None:
            try:
                if exc[0] is None:
                    self._own.settle()
            finally:
                self._own.close()

    def record(
        self, emails: list[OutboundEmail], attempts: list[DeliveryAttempt], *, hand=()
    ) -> None:
        """Write these emails' outcomes (their hand-off marks cleared) and mark `hand` handed,
        in one transaction; in order after what was recorded before."""
        for email in emails:
            email.handed_at = None
        statements = _statements(list(emails), list(attempts), list(hand), self.claim_id)
        if self._own is not None:
            self._own.send(statements, handing=len(hand))
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, rows in statements[:-1]:
                cursor.executemany(sql, rows)
            handed = 0
            for row in statements[-1][1]:
                cursor.execute(statements[-1][0], row)
                handed += cursor.rowcount
        _check(handed, len(hand))

    def hand(self, ids: list[int]) -> None:
        """Mark `ids` handed, durably, before they go to the transport."""
        self.record([], [], hand=ids)
        self.settled()

    def settled(self) -> None:
        """Wait until everything recorded so far is durable (before a hand-off)."""
        if self._own is not None:
            self._own.settle()


class _Pipelined:
    """A PostgreSQL connection of the ledger's own: a record goes as one simple query (BEGIN,
    its statements, COMMIT) sent without waiting (libpq's PQsendQuery); its answer is read
    by `settle`. One record is in flight at a time."""

    def __init__(self):
        self.conn = connection.get_new_connection(connection.get_connection_params())
        self.conn.autocommit = True
        self._literal = psycopg.ClientCursor(self.conn)  # renders values as SQL literals
        self._pending = False
        self._handing = (0, 0, 0)  # (first, end, count) of the in-flight record's hand marks

    def send(self, statements: list[tuple[str, list]], *, handing: int) -> None:
        self.settle()
        parts = ["BEGIN"]
        for sql, rows in statements:
            parts.extend(self._literal.mogrify(sql, row) for row in rows)
        parts.append("COMMIT")
        # The hand-off marks are the statements just before COMMIT: their answers say how
        # many took.
        self._handing = (len(parts) - 1 - handing, len(parts) - 1, handing)
        pgconn = self.conn.pgconn
        pgconn.send_query(";\n".join(parts).encode())
        while pgconn.flush():  # the rest of the query, once the socket takes it
            select.select([], [pgconn.socket], [])
        self._pending = True

    def settle(self) -> None:
        """Read the answer of what is in flight (raising its error): it is durable."""
        if not self._pending:
            return
        self._pending = False
        pgconn, errors, counts = self.conn.pgconn, [], []
        while True:
            pgconn.consume_input()
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            if result.status == pq.ExecStatus.FATAL_ERROR:
                errors.append(result.error_message.decode(errors="replace"))
            counts.append(result.command_tuples or 0)
        if errors:
            raise DatabaseError(f"delivery ledger: {errors[0]}")
        start, end, expected = self._handing
        _check(sum(counts[start:end]), expected)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken connection is gone either way
            self.conn.close()


def _check(handed: int, expected: int) -> None:
    if handed < expected:
        raise ClaimLost(
            f"{expected - handed} of {expected} emails to hand over are no longer this "
            "delivery's: it was declared dead while it stalled, and their rows settled"
        )


def _statements(emails, attempts, hand, claim_id: str) -> list[tuple[str, list]]:
    """(SQL, rows) to run with executemany, in order: outcomes, attempts, hand-off marks
    (always last, possibly with no rows)."""
    found = []
    if emails:
        found.append(_outcomes(emails, claim_id))
        found.append(_attempts(attempts))
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    sql = f"UPDATE {table} SET handed_at = %s WHERE id = %s AND status = %s AND claim_id = %s"
    now, sending = timezone.now(), OutboundEmail.Status.SENDING
    found.append((sql, [[now, pk, sending, claim_id] for pk in hand]))
    return found


def _outcomes(rows: list[OutboundEmail], claim_id: str) -> tuple[str, list]:
    """One small UPDATE by primary key per row, sent together (bulk_update's CASE over every
    field costs far more on PostgreSQL: about half a second per 25 rows); a row claimed by
    another delivery since is left alone."""
    fields = [OutboundEmail._meta.get_field(name) for name in _FIELDS]
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    pk = connection.ops.quote_name(OutboundEmail._meta.pk.column)
    values = [
        [f.get_db_prep_save(getattr(email, f.attname), connection) for f in fields]
        + [email.pk, claim_id]
        for email in rows
    ]
    return f"UPDATE {table} SET {columns} WHERE {pk} = %s AND claim_id = %s", values


def _attempts(attempts: list[DeliveryAttempt]) -> tuple[str, list]:
    """The attempts, with no RETURNING (nothing reads their ids): nothing to wait for."""
    fields = [f for f in DeliveryAttempt._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(DeliveryAttempt._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = [[f.get_db_prep_save(f.pre_save(a, True), connection) for f in fields] for a in attempts]
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows
