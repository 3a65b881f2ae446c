"""The one schedule engine (croniter, huey's day rule) against huey's own crontab."""

import datetime as dt
import os

import pytest
from huey import crontab

from apps.jobs.exceptions import ScheduleError
from apps.jobs.periodic import REGISTRY, periodic_job
from apps.jobs.schedule import (
    next_run,
    previous_run,
    runs_between,
    schedule_check,
    schedule_words,
)

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
# `make soak` checks a whole year (2027); `make test` five weeks across a month's and the
# year's end (every weekday, the 1st of two months, Sundays): the same check, 10x faster.
SPAN = (
    (dt.datetime(2027, 1, 1), dt.datetime(2028, 1, 1))
    if os.environ.get("SOAK_KILLS")
    else (dt.datetime(2026, 12, 15), dt.datetime(2027, 1, 19))
)


@pytest.mark.soak
def test_for_every_job_the_engine_and_hueys_crontab_agree_on_every_minute():
    start, end = SPAN
    minutes = [start + dt.timedelta(minutes=i) for i in range((end - start) // MINUTE)]
    for schedule in sorted({spec.schedule for spec in REGISTRY.values()}):
        huey_runs = list(filter(crontab(*schedule.split(), strict=True), minutes))
        engine_runs = [m.replace(tzinfo=None) for m in runs_between(schedule, start - MINUTE, end)]
        assert engine_runs == huey_runs, schedule
        assert next_run(schedule, start - MINUTE).replace(tzinfo=None) == huey_runs[0]
        last = previous_run(schedule, end - MINUTE)
        assert last.replace(tzinfo=None) == huey_runs[-1], schedule


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("* * * * *", "Every minute (UTC)"),
        ("5 * * * *", "At 5 minutes past the hour (UTC)"),
        ("30 3 * * *", "At 03:30 (UTC)"),
        ("0 4 * * 0", "At 04:00, only on Sunday (UTC)"),
        ("0 9 1 * *", "At 09:00, on day 1 of the month (UTC)"),
    ],
)
def test_a_schedule_reads_aloud(schedule, words):
    assert schedule_words(schedule) == words


def test_day_of_month_and_day_of_week_must_both_match_as_huey_requires():
    # A 13th that is a Friday, not every 13th and every Friday (plain cron's reading).
    moment = dt.datetime(2026, 11, 25, tzinfo=UTC)
    assert next_run("0 0 13 * 5", moment) == dt.datetime(2027, 8, 13, tzinfo=UTC)
    assert previous_run("0 0 13 * 5", moment) == dt.datetime(2026, 11, 13, tzinfo=UTC)


def test_previous_run_includes_the_minute_itself_and_next_run_excludes_it():
    moment = dt.datetime(2026, 11, 25, 3, 30, 40, tzinfo=UTC)
    assert previous_run("30 3 * * *", moment) == moment.replace(second=0)
    assert next_run("30 3 * * *", moment) == dt.datetime(2026, 11, 26, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize("schedule", ["", "* * * *", "61 * * * *", "* * * * * *", "x y z w v"])
def test_a_bad_schedule_is_refused_when_a_job_is_declared(schedule):
    with pytest.raises(ScheduleError, match="five-field crontab"):
        schedule_check(schedule)
    with pytest.raises(ScheduleError):
        periodic_job(name="never", schedule=schedule, period="day")
    assert "never" not in REGISTRY
