"""The interaction log's buffer: no query in the request path, batches written by a flusher
thread, a bad row never costs the others; the digest reports the day's API calls."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.buffer import InteractionBuffer
from apps.analytics.digest import _api_calls
from apps.analytics.models import InteractionLog
from apps.analytics.services import interaction_log_buffer
from tests.conftest import wait_until
from tests.factories import make_organization


def call(organization_id: int, status: int = 201, **extra) -> dict:
    return {
        "organization_id": organization_id,
        "user_id": None,
        "endpoint": "POST api/v1/summaries",
        "status_code": status,
        "mode": "brief",
        "input_characters": 100,
        "output_characters": 20,
        "response_ms": 12,
        **extra,
    }


@pytest.mark.django_db(transaction=True)
def test_calls_cost_no_query_and_the_flusher_writes_them_within_its_interval(settings):
    settings.ANALYTICS_FLUSH_SECONDS = 0.1
    organization = make_organization()
    with CaptureQueriesContext(connection) as queries:
        for status in (201, 201, 429):
            interaction_log_buffer(**call(organization.pk, status))
    assert len(queries) == 0
    wait_until(lambda: InteractionLog.objects.count() == 3, timeout=10)
    refused = InteractionLog.objects.get(status_code=429)
    assert not refused.success and refused.error_kind == "429"


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at commit
def test_a_row_that_cannot_be_written_is_dropped_and_the_rest_are_kept(settings):
    settings.ANALYTICS_FLUSH_SECONDS = 0
    organization = make_organization()
    buffer = InteractionBuffer()
    from apps.analytics import buffer as module

    rows = [call(organization.pk), call(10**12), call(organization.pk)]  # no such organization
    for fields in rows:
        success = fields["status_code"] < 400
        buffer.add(module.InteractionLog(success=success, **fields))
    assert buffer.flush() == 2 and buffer.dropped == 1
    assert InteractionLog.objects.count() == 2


@pytest.mark.django_db
def test_the_digest_reports_the_days_api_calls():
    organization = make_organization()
    day = dt.date(2026, 11, 24)
    moment = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    for success in (True, True, True, False):
        InteractionLog.objects.create(
            organization=organization,
            mode="brief",
            response_ms=5,
            success=success,
            created_at=moment,
        )
    # plain data: the email words and formats it in its recipient's language
    assert _api_calls(organization.pk, day) == {"calls": 4, "succeeded": 75.0}
    assert _api_calls(organization.pk, day + dt.timedelta(days=1)) is None


@pytest.mark.django_db(transaction=True)
def test_a_call_carrying_nul_or_a_lone_surrogate_is_written_cleaned(settings):
    settings.ANALYTICS_FLUSH_SECONDS = 0
    organization = make_organization()
    buffer = InteractionBuffer()
    buffer.add(
        InteractionLog(
            **call(
                organization.pk, mode="br\x00ief\ud800", endpoint="POST api/v1/\udfff" + "x" * 200
            )
        )
    )
    buffer.add(InteractionLog(**call(organization.pk)))
    assert buffer.flush() == 2
    modes = set(InteractionLog.objects.values_list("mode", flat=True))
    assert modes == {"brief\ufffd", "brief"}
    assert len(InteractionLog.objects.exclude(mode="brief").get().endpoint) == 80
