"""What one short summary costs the database, with rate limits and the interaction log on:
the key, its organization, holder and plan read in one query, then cached; each summary one
transaction (its completed row and its charge) with one commit. Before: 9 queries and 3
commits a summary (key, subscription, usage select-update-select, the row inserted, claimed,
read and completed).

Production profile: PostgreSQL, where each row version carries the id of the transaction that
wrote it (xmin), so the transactions that wrote the request's rows can be counted (each a WAL
flush at commit), and Redis for the cache and the rate limits."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.buffer import interaction_buffer
from apps.api.models import ApiKey
from apps.billing.models import UsageRecord
from apps.billing.services import usage_record_for_month
from apps.summaries.models import SummarizationRequest
from tests.api.conftest import call

pytestmark = pytest.mark.django_db(transaction=True)
TEXT = "Huey runs the jobs. Anymail sends the mail. Unfold draws the console. Redis brokers. " * 3
TABLE = re.compile(r'"(\w+)"')
# A sale: the completed row, then the charge (whose UPDATE reads the record back), one commit.
SALE = ["BEGIN", "INSERT summaries_summarizationrequest", "UPDATE billing_usagerecord", "COMMIT"]


# The tables a summary writes. Counting the transactions that wrote their rows, rather than
# every transaction id the server handed out, leaves out writers in the background (a history
# or interaction-log flush, a consumer left by an earlier test) that once made this flaky.
WRITTEN = ("api_apikey", "summaries_summarizationrequest", "billing_usagerecord")


def transaction_id() -> int:
    """The next transaction id: every transaction that writes takes a larger one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def transactions_that_wrote(since: int) -> int:
    """How many transactions wrote a row of the summary's tables after `since` (an id from
    `transaction_id`; a fresh cluster's ids fit xmin's 32 bits)."""
    union = " UNION ".join(
        f"SELECT xmin::text::bigint AS xid FROM {table} WHERE xmin::text::bigint > %s"
        for table in WRITTEN
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT xid) FROM ({union}) AS written", [since] * 3)
        return cursor.fetchone()[0]


def summarize(http, key: str) -> tuple[list[str], int]:
    """One short summary over the whole middleware stack: its statements as "VERB table",
    and how many transactions wrote."""
    before = transaction_id()
    with CaptureQueriesContext(connection) as captured:
        response = call(http, key, "post", "/api/v1/summaries", {"mode": "brief", "text": TEXT})
    writes = transactions_that_wrote(before)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "completed" and response.json()["summary"]
    return [_statement(q["sql"]) for q in captured], writes


def _statement(sql: str) -> str:
    table = TABLE.search(sql)
    return f"{sql.split()[0]} {table[1]}" if table else sql


def test_a_short_summary_is_two_statements_and_one_commit_once_its_key_is_cached(
    http, http_key, settings, monkeypatch
):
    assert connection.vendor == "postgresql" and settings.REDIS_URL
    # The entry's one second could run out between two calls on a loaded machine; here the
    # cost of a cached call is measured (tests/api/test_caller_cache.py tests the second).
    monkeypatch.setattr("apps.api.callers.CALLER_SECONDS", 60)
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "pro": "3/m"}  # limits are on
    organization = ApiKey.objects.get().organization
    usage_record_for_month(organization=organization)  # the month's record exists, as mostly
    cache.clear()

    first, first_writes = summarize(http, http_key)
    # The key, its organization, holder and plan: one SELECT (joins, subqueries), then cached;
    # the key's last use is noted (once a minute), then the sale.
    assert first == ["SELECT api_apikey", "UPDATE api_apikey", *SALE]
    assert first_writes == 2

    for _ in range(2):
        statements, writes = summarize(http, http_key)
        assert statements == SALE
        assert writes == 1

    refused = call(http, http_key, "post", "/api/v1/summaries", {"mode": "brief", "text": TEXT})
    assert refused.status_code == 429 and refused["Retry-After"]  # the 4th call of the minute
    assert interaction_buffer.flush() == 4  # every call logged, off the request path
    rows = SummarizationRequest.objects.filter(organization=organization)
    assert [r.status for r in rows] == ["completed"] * 3
    charged = UsageRecord.objects.get(organization=organization).characters_used
    assert charged == 3 * len(TEXT)
