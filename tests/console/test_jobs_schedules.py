"""Which periodic jobs are late or failed (the one selector behind jobs_list, the schedules
page, the dashboard and the late-job alert), and no false alarm on a fresh install."""

import datetime as dt

import pytest
from django.core.management import call_command

from apps.jobs.models import PeriodicJobState, PeriodicRun
from apps.jobs.periodic import REGISTRY
from apps.jobs.selectors import schedules_overview
from apps.jobs.services import periodic_jobs_seen

NOW = dt.datetime(2026, 11, 25, 8, 44, 30, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def rows(now=NOW) -> dict:
    return {row.name: row for row in schedules_overview(now=now)}


def test_a_job_is_late_when_its_period_has_no_run_and_failed_when_its_run_failed(settings):
    settings.OPS_LATE_AFTER_SECONDS = 600
    periodic_jobs_seen(now=NOW - dt.timedelta(days=40))
    daily = REGISTRY["history_retention"]  # 03:30 daily: the period of 2026-11-25 is due
    period = daily.period_for(dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC))
    assert rows()["history_retention"].problem == "missed"
    assert rows()["history_retention"].expected_period == period.key
    assert rows()["history_retention"].words == "At 03:30 (UTC)"
    PeriodicRun.objects.create(
        job="history_retention",
        period_key=period.key,
        period_start=period.start,
        period_end=period.end,
        status="failed",
    )
    assert rows()["history_retention"].problem == "failed"
    PeriodicRun.objects.filter(job="history_retention").update(status="succeeded")
    assert rows()["history_retention"].problem == ""
    assert rows()["history_retention"].last_run.status == "succeeded"
    PeriodicJobState.objects.filter(job="reaper").update(paused=True)
    assert rows()["reaper"].problem == ""  # paused


def test_a_fresh_install_raises_no_alarm_until_a_consumer_saw_each_job_at_its_trigger():
    assert not [row for row in schedules_overview(now=NOW) if row.problem]  # no consumer yet
    # The demo seeds runs for old periods; a consumer starts at 08:30.
    PeriodicRun.objects.create(
        job="analytics_daily",
        period_key="2026-11-01",
        period_start=NOW,
        period_end=NOW,
        status="succeeded",
    )
    periodic_jobs_seen(now=NOW.replace(hour=8, minute=30))
    fresh = rows(NOW + dt.timedelta(minutes=16))  # what `make run` showed 16 minutes later
    flagged = [name for name, row in fresh.items() if row.problem]
    # Only jobs due since 08:30 (every minute, every 5) may be late: none of their runs exist.
    assert {REGISTRY[name].period for name in flagged} <= {"minute"}
    assert fresh["analytics_daily"].last_run.status == "succeeded"
    # A day later the consumer saw every trigger: a period without a run is late.
    later = rows(NOW + dt.timedelta(days=1))
    assert later["analytics_daily"].problem == "missed"
    assert later["analytics_daily"].expected_period == "2026-11-25"


def test_first_seen_is_kept_when_consumers_restart():
    periodic_jobs_seen(now=NOW)
    periodic_jobs_seen(now=NOW + dt.timedelta(days=3))
    assert set(PeriodicJobState.objects.values_list("first_seen_at", flat=True)) == {NOW}


def test_jobs_list_prints_the_engines_next_run_and_the_late_ones(capsys, settings):
    periodic_jobs_seen(now=NOW - dt.timedelta(days=40))
    call_command("jobs_list")
    out = capsys.readouterr().out
    assert "analytics_daily" in out and "0 2 * * *" in out
    assert "[late:" in out
