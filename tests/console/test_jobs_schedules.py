"""Crontabs in words, and which periodic jobs are late or failed."""

import datetime as dt

import pytest
from huey import crontab

from apps.console.cron import cron_describe, cron_next, cron_previous
from apps.console.selectors import schedules_overview
from apps.jobs.models import PeriodicJobState, PeriodicRun, WorkerHeartbeat
from apps.jobs.periodic import REGISTRY

NOW = dt.datetime(2026, 11, 25, 8, 44, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("* * * * *", "every minute"),
        ("*/5 * * * *", "every 5 minutes"),
        ("5 * * * *", "every hour at :05"),
        ("30 3 * * *", "daily at 03:30 UTC"),
        ("0 4 * * 0", "every Sunday at 04:00 UTC"),
        ("0 9 1 * *", "monthly on the 1st at 09:00 UTC"),
        ("30 2,14 * * 1-5", "every Monday, Tuesday, Wednesday, Thursday and Friday at 02:30 "
                            "and 14:30 UTC"),
        ("0 0 1 1,7 *", "on the 1st in January and July at 00:00 UTC"),
    ],
)  # fmt: skip
def test_a_crontab_reads_aloud_and_its_neighbours_match_hueys_crontab(schedule, words):
    assert cron_describe(schedule) == words
    matches = crontab(*schedule.split())
    before, after = cron_previous(schedule, NOW), cron_next(schedule, NOW)
    assert before <= NOW < after
    assert matches(before.replace(tzinfo=None)) and matches(after.replace(tzinfo=None))
    minute = before + dt.timedelta(minutes=1)
    while minute < after:  # nothing matches strictly between them
        assert not matches(minute.replace(tzinfo=None)), minute
        minute += dt.timedelta(minutes=1)
        if minute - before > dt.timedelta(days=2):
            break


def test_every_declared_job_has_words_for_its_schedule():
    for spec in REGISTRY.values():
        assert cron_describe(spec.schedule)


@pytest.mark.django_db
def test_a_job_is_late_when_its_period_has_no_run_and_failed_when_its_run_failed(settings):
    settings.OPS_LATE_AFTER_SECONDS = 600
    WorkerHeartbeat.objects.create(
        consumer="c:1", host="c", pid=1, started_at=NOW - dt.timedelta(days=40), last_seen=NOW
    )
    daily = REGISTRY["history_retention"]  # 03:30 daily: the period of 2026-11-25 is due
    period = daily.period_for(dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC))
    rows = {row.name: row for row in schedules_overview(now=NOW)}
    assert rows["history_retention"].problem == "missed"
    assert rows["history_retention"].expected_period == period.key
    PeriodicRun.objects.create(job="history_retention", period_key=period.key,
                               period_start=period.start, period_end=period.end,
                               status="failed")  # fmt: skip
    assert {r.name: r for r in schedules_overview(now=NOW)}["history_retention"].problem == "failed"
    PeriodicRun.objects.filter(job="history_retention").update(status="succeeded")
    rows = {r.name: r for r in schedules_overview(now=NOW)}
    assert rows["history_retention"].problem == ""
    assert rows["history_retention"].last_run.status == "succeeded"
    PeriodicJobState.objects.create(job="reaper", paused=True)
    assert {r.name: r for r in schedules_overview(now=NOW)}["reaper"].problem == ""  # paused


@pytest.mark.django_db
def test_nothing_is_late_before_any_consumer_ever_ran():
    assert not [row for row in schedules_overview(now=NOW) if row.problem]
