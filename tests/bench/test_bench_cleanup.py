"""Maintenance jobs on PostgreSQL, each against the plain SQL statement with the same effect,
A/B alternated (tests/bench/harness.py: a warm-up, then >= 3 rounds, medians, ratios):

- the monthly quota reset over 100,000 organizations (BENCH_ORGS): ours, keyset chunks of
  5,000 organizations with two statements each, vs one UPDATE + one INSERT ... SELECT;
- the expired-session cleanup over 1,000,000 rows (BENCH_ROWS): ours, keyset range DELETEs of
  100,000 rows, vs one DELETE;
- the weekly archival of 200,000 old requests (BENCH_ARCHIVE_ROWS), for information: ours
  also reads every row and writes gzip JSON lines to storage, the bare DELETE does not.

Each contender starts from the same state, rebuilt, vacuumed and checkpointed outside the clock;
the clock stops when the last statement has committed. Run with `make bench` (production
durability: fsync, synchronous_commit and full_page_writes on).
"""

import datetime as dt
import os
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.sessions import sessions_expired_delete
from apps.billing.quota_reset import reset_parameters, usage_month_open
from apps.summaries.archive import summarization_requests_archive
from apps.summaries.models import SummarizationRequest, SummaryArchive
from tests.bench.harness import alternate, rate, record
from tests.factories import make_plan, make_user

ORGS = int(os.environ.get("BENCH_ORGS", "100000"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
ARCHIVE_ROWS = int(os.environ.get("BENCH_ARCHIVE_ROWS", "200000"))
ARCHIVE_ORGS = 200
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
pytestmark = pytest.mark.django_db(transaction=True)


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def vacuum(*tables: str) -> None:
    """Vacuum and analyze, then checkpoint: each contender starts from a clean table and pays
    the same full-page writes, and no checkpoint of the set-up lands inside a timed run."""
    for table in tables:
        sql(f"VACUUM ANALYZE {table}")
    sql("CHECKPOINT")


def organizations(count: int) -> int:
    """`count` organizations (half on Pro, the rest without a subscription: Free); first id."""
    owner = make_user()
    pro = make_plan("pro", 1_000_000, "29")
    make_plan("free", 10_000)
    sql(
        "INSERT INTO accounts_organization (name, slug, owner_id, created_at) "
        "SELECT 'Bench ' || i, 'bench-' || i, %s, now() FROM generate_series(1, %s) AS i",
        [owner.pk, count],
    )
    sql(
        "INSERT INTO billing_subscription (organization_id, plan_id, status, "
        "current_period_start, current_period_end, cancel_at_period_end, created_at) "
        "SELECT id, %s, 'active', now(), now() + interval '1 month', false, now() "
        "FROM accounts_organization WHERE id %% 2 = 0",
        [pro.pk],
    )
    vacuum("accounts_organization", "billing_subscription")
    return _first_org()


def _first_org() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM accounts_organization")
        return cursor.fetchone()[0]


# --- quota reset ---------------------------------------------------------------------------

PLAIN_CLOSE = (
    "UPDATE billing_usagerecord SET closed_at = %(now)s, updated_at = %(now)s "
    "WHERE period_start < %(month)s AND closed_at IS NULL"
)
PLAIN_OPEN = """
INSERT INTO billing_usagerecord
       (organization_id, period_start, characters_used, characters_limit, closed_at, updated_at)
SELECT o.id, %(month)s, 0,
       COALESCE((SELECT p.monthly_characters FROM billing_subscription s
                   JOIN billing_plan p ON p.id = s.plan_id
                  WHERE s.organization_id = o.id AND s.status <> %(canceled)s LIMIT 1),
                %(free)s),
       NULL, %(now)s
  FROM accounts_organization o
    ON CONFLICT (organization_id, period_start) DO NOTHING
"""


def november_open() -> None:
    """The state before a reset: every organization has an open November record, no December."""
    sql("DELETE FROM billing_usagerecord WHERE period_start = %s", [DEC])
    sql("UPDATE billing_usagerecord SET closed_at = NULL WHERE period_start = %s", [NOV])
    vacuum("billing_usagerecord")


def test_quota_reset_against_the_plain_sql_statement():
    organizations(ORGS)
    sql(
        "INSERT INTO billing_usagerecord (organization_id, period_start, characters_used, "
        "characters_limit, closed_at, updated_at) "
        "SELECT id, %s, id %% 9000, 10000, NULL, now() FROM accounts_organization",
        [NOV],
    )

    def ours(_round: int) -> float:
        november_open()
        seconds, result = timed(lambda: usage_month_open(month=DEC))
        assert result["closed"] == ORGS and result["opened"] == ORGS
        return rate(ORGS, seconds)

    def plain(_round: int) -> float:
        november_open()
        params = reset_parameters(month=DEC, now=timezone.now())

        def statements():
            with transaction.atomic():
                return sql(PLAIN_CLOSE, params), sql(PLAIN_OPEN, params)

        seconds, (closed, opened) = timed(statements)
        assert closed == opened == ORGS
        return rate(ORGS, seconds)

    series = alternate({"ours": ours, "plain SQL": plain}, label="quota reset", unit="orgs/s")
    record(
        f"quota reset, {ORGS:,} organizations",
        ours=series["ours"],
        unit="orgs/s",
        peer=series["plain SQL"],
        peer_name="plain SQL UPDATE + INSERT ... SELECT",
        target_ratio=0.7,
    )


# --- expired-session cleanup ---------------------------------------------------------------


def expired_sessions(rows: int) -> None:
    """`rows` sessions that expired over the last 30 days, stored in the order they were made
    (a session row is written at login with its expiry: the table follows expire_date)."""
    sql("DELETE FROM django_session")
    vacuum("django_session")
    sql(
        "INSERT INTO django_session (session_key, session_data, expire_date) "
        "SELECT md5(i::text), 'e30:bench', "
        "now() - interval '1 hour' - interval '1 second' * (2592000 - i * 2592000.0 / %s) "
        "FROM generate_series(1, %s) AS i",
        [rows, rows],
    )
    vacuum("django_session")


def session_contenders(rows: int) -> dict:
    def ours(_round: int) -> float:
        expired_sessions(rows)
        seconds, deleted = timed(sessions_expired_delete)
        assert deleted == rows
        return rate(rows, seconds)

    def plain(_round: int) -> float:
        expired_sessions(rows)
        delete = "DELETE FROM django_session WHERE expire_date < %s"
        seconds, deleted = timed(lambda: sql(delete, [timezone.now()]))
        assert deleted == rows
        return rate(rows, seconds)

    return {"ours": ours, "plain SQL": plain}


def test_expired_session_cleanup_against_the_plain_sql_statement():
    series = alternate(
        session_contenders(ROWS),
        warmup=session_contenders(ROWS // 10),
        label="session cleanup",
        unit="rows/s",
    )
    record(
        f"expired-session cleanup, {ROWS:,} rows",
        ours=series["ours"],
        unit="rows/s",
        peer=series["plain SQL"],
        peer_name="plain SQL DELETE",
        target_ratio=0.7,
    )


# --- archival (information) ------------------------------------------------------------------


def old_requests(first_org: int, rows: int) -> None:
    """`rows` requests of 200 organizations over 13 weeks ending 100 days ago."""
    sql("DELETE FROM summaries_summarizationrequest")
    SummaryArchive.objects.all().delete()
    vacuum("summaries_summarizationrequest")
    sql(
        "INSERT INTO summaries_summarizationrequest (organization_id, user_id, mode, "
        "input_characters, output_characters, status, created_at, completed_at, summary, "
        "summary_file, error, input_text, requeues, task_id) "
        "SELECT %s + i %% %s, NULL, (ARRAY['brief','detailed','bullet_points','executive'])"
        "[1 + i %% 4], 100 + i %% 5000, 40, 'completed', "
        "now() - interval '100 days' - interval '1 second' * (i * 7.862 * 1000000 / %s), NULL, "
        "'A short summary kept in the row.', '', '', '', 0, '' "
        "FROM generate_series(1, %s) AS i",
        [first_org, ARCHIVE_ORGS, rows, rows],
    )
    vacuum("summaries_summarizationrequest")


def test_archival_against_a_bare_delete_for_information():
    first = organizations(ARCHIVE_ORGS)
    before = timezone.now() - dt.timedelta(days=90)

    def ours(_round: int) -> float:
        old_requests(first, ARCHIVE_ROWS)
        seconds, result = timed(lambda: summarization_requests_archive(before=before))
        assert result["archived"] == ARCHIVE_ROWS
        assert not SummarizationRequest.objects.exists()
        return rate(ARCHIVE_ROWS, seconds)

    def plain(_round: int) -> float:
        old_requests(first, ARCHIVE_ROWS)
        delete = "DELETE FROM summaries_summarizationrequest WHERE created_at < %s"
        seconds, deleted = timed(lambda: sql(delete, [before]))
        assert deleted == ARCHIVE_ROWS
        return rate(ARCHIVE_ROWS, seconds)

    series = alternate({"ours": ours, "bare DELETE": plain}, label="archival", unit="rows/s")
    record(
        f"archival, {ARCHIVE_ROWS:,} rows (ours also writes the archives)",
        ours=series["ours"],
        unit="rows/s",
        peer=series["bare DELETE"],
        peer_name="bare DELETE (no archive)",
    )
