"""Interaction logs rolled up by hour and day; re-running a period replaces its figures."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from apps.analytics.models import DailyRollup, HourlyRollup, InteractionLog
from apps.analytics.services import interaction_log_record
from apps.jobs.periodic import job_spec
from tests.factories import make_organization

UTC = dt.UTC


def log_calls(organization, moment, times_ms, mode="brief", failures=0):
    with time_machine.travel(moment, tick=False):
        for i, ms in enumerate(times_ms):
            interaction_log_record(
                organization=organization,
                user=None,
                mode=mode,
                input_characters=100,
                output_characters=20,
                response_ms=ms,
                success=i >= failures,
                error_kind="timeout",
            )


@pytest.mark.embedded
@pytest.mark.django_db
def test_hourly_rollup_counts_success_rate_percentiles_and_characters_per_org_and_mode():
    acme, beta = make_organization(), make_organization()
    log_calls(acme, dt.datetime(2026, 11, 25, 9, 10, tzinfo=UTC), range(10, 210, 10), failures=2)
    log_calls(acme, dt.datetime(2026, 11, 25, 9, 20, tzinfo=UTC), [500], mode="executive")
    log_calls(beta, dt.datetime(2026, 11, 25, 10, 1, tzinfo=UTC), [40])  # the next hour
    assert InteractionLog.objects.filter(success=False, error_kind="timeout").count() == 2
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 5, tzinfo=UTC), tick=False):
        job_spec("analytics_hourly").task()
    brief = HourlyRollup.objects.get(organization=acme, mode="brief")
    assert brief.period_start == dt.datetime(2026, 11, 25, 9, tzinfo=UTC)
    assert (brief.count, brief.success_count, brief.success_rate) == (20, 18, 90.0)
    assert (brief.p50_ms, brief.p95_ms) == (100, 190)  # nearest rank of 10, 20, ... 200 ms
    assert (brief.input_characters, brief.output_characters) == (2000, 400)
    assert HourlyRollup.objects.get(mode="executive").p95_ms == 500
    assert not HourlyRollup.objects.filter(organization=beta).exists()

    log_calls(acme, dt.datetime(2026, 11, 25, 9, 59, tzinfo=UTC), [1000])  # a late arrival
    with time_machine.travel(dt.datetime(2026, 11, 25, 11, 0, tzinfo=UTC), tick=False):
        call_command("jobs_run", "analytics_hourly", "--period", "2026-11-25T09", "--force")
    brief = HourlyRollup.objects.get(organization=acme, mode="brief")
    assert (brief.count, brief.p95_ms) == (21, 200)  # replaced, not added to
    assert HourlyRollup.objects.count() == 2


@pytest.mark.embedded
@pytest.mark.django_db
def test_daily_rollup_covers_yesterday_and_old_raw_logs_are_pruned():
    org = make_organization()
    log_calls(org, dt.datetime(2026, 11, 24, 1, tzinfo=UTC), [10, 20])
    log_calls(org, dt.datetime(2026, 11, 24, 23, 59, tzinfo=UTC), [30])
    log_calls(org, dt.datetime(2026, 11, 25, 0, 1, tzinfo=UTC), [40])
    log_calls(org, dt.datetime(2026, 7, 1, tzinfo=UTC), [50])  # past the 90-day retention
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        job_spec("analytics_daily").task()
        job_spec("analytics_retention").task()
    day = DailyRollup.objects.get()
    assert (day.period_start.date(), day.count, day.p50_ms) == (dt.date(2026, 11, 24), 3, 20)
    assert InteractionLog.objects.count() == 4
