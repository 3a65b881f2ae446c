"""1,000,000 expired sessions and 1,000,000 old summarization requests on PostgreSQL: our
batched cleanup and archival against a bare SQL DELETE of the same rows, in the same run."""

import datetime as dt
import os

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.models import Organization
from apps.accounts.sessions import sessions_expired_delete
from apps.summaries.archive import summarization_requests_archive
from apps.summaries.models import SummarizationRequest, SummaryArchive
from tests.bench.conftest import measure
from tests.factories import make_user

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
ORGS = 200
pytestmark = pytest.mark.django_db(transaction=True)


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def insert_expired_sessions() -> None:
    sql(
        "INSERT INTO django_session (session_key, session_data, expire_date) "
        "SELECT md5(i::text), 'e30:bench', now() - interval '1 day' * (1 + i %% 30) "
        "FROM generate_series(1, %s) AS i",
        [ROWS],
    )
    sql("ANALYZE django_session")


def insert_old_requests(first_org: int) -> None:
    # 200 organizations, spread over 13 weeks ending 100 days ago: 2,600 archives.
    sql(
        "INSERT INTO summaries_summarizationrequest (organization_id, user_id, mode, "
        "input_characters, output_characters, status, created_at, completed_at) "
        "SELECT %s + i %% %s, NULL, (ARRAY['brief','detailed','bullet_points','executive'])"
        "[1 + i %% 4], 100 + i %% 5000, 40, 'completed', "
        "now() - interval '100 days' - interval '1 second' * (i * 7.862), NULL "
        "FROM generate_series(1, %s) AS i",
        [first_org, ORGS, ROWS],
    )
    sql("ANALYZE summaries_summarizationrequest")


def report(title: str, rows: int, ours, bare) -> None:
    print(
        f"\n{title}: {rows:,} rows\n"
        f"  batched job : {ours.seconds:7.2f} s  {ours.rate(rows):>10,.0f} rows/s  "
        f"RSS {ours.baseline_mb:.0f} MB -> peak {ours.peak_mb:.0f} MB "
        f"(+{ours.peak_mb - ours.baseline_mb:.1f} MB)\n"
        f"  bare DELETE : {bare.seconds:7.2f} s  {bare.rate(rows):>10,.0f} rows/s\n"
        f"  ratio       : {ours.rate(rows) / bare.rate(rows):.2f} of the bare DELETE's rate"
    )


def test_expired_session_cleanup_against_a_bare_delete():
    insert_expired_sessions()
    with measure() as ours:
        deleted = sessions_expired_delete(batch_size=5000)
    assert deleted == ROWS
    insert_expired_sessions()
    with measure() as bare:
        assert sql("DELETE FROM django_session WHERE expire_date < %s", [timezone.now()]) == ROWS
    report("expired-session cleanup", ROWS, ours, bare)


def test_summarization_request_archival_against_a_bare_delete():
    owner = make_user()
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Bench {i}", slug=f"bench-{i}", owner=owner) for i in range(ORGS)
    )
    first = min(o.pk for o in organizations)
    assert max(o.pk for o in organizations) == first + ORGS - 1
    insert_old_requests(first)
    before = timezone.now() - dt.timedelta(days=90)
    with measure() as ours:
        result = summarization_requests_archive(before=before, batch_size=5000)
    assert result["archived"] == ROWS and SummarizationRequest.objects.count() == 0
    stored = sum(SummaryArchive.objects.values_list("size", flat=True))
    insert_old_requests(first)
    with measure() as bare:
        deleted = sql("DELETE FROM summaries_summarizationrequest WHERE created_at < %s", [before])
    assert deleted == ROWS
    report("summarization-request archival", ROWS, ours, bare)
    print(f"  archives    : {result['archives']:,} files, {stored / 2**20:.1f} MB gzip JSON lines")
