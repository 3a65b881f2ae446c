"""The one schedule engine (croniter, huey's day rule): what huey's scheduler finds due and what
the console shows come from it."""

import datetime as dt

import pytest

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
# Across a month's and the year's end: every weekday, the 1st of two months, Sundays.
SPAN = (dt.datetime(2026, 12, 15), dt.datetime(2027, 1, 19))
TURN = dt.datetime(2027, 1, 1)  # the year's turn


def test_hueys_scheduler_finds_every_job_due_at_exactly_the_runs_the_console_shows():
    # What huey's scheduler asks of each periodic task each minute (its validate_datetime, as
    # read_periodic calls it) against the runs the console lists: every run of the span and the
    # minutes either side, or for a job running more than hourly, the six hours around the turn.
    for spec in REGISTRY.values():
        due = spec.task.task_class().validate_datetime
        start, end = SPAN
        if len(list(runs_between(spec.schedule, start, start + dt.timedelta(days=1)))) > 24:
            start, end = TURN - dt.timedelta(hours=3), TURN + dt.timedelta(hours=3)
        runs = [m.replace(tzinfo=None) for m in runs_between(spec.schedule, start - MINUTE, end)]
        assert runs, spec.name
        listed = set(runs)
        for moment in runs:
            assert due(moment), (spec.name, moment)
            for near in (moment - MINUTE, moment + MINUTE):
                if start <= near < end:
                    assert due(near) == (near in listed), (spec.name, near)
        assert next_run(spec.schedule, start - MINUTE).replace(tzinfo=None) == runs[0]
        assert previous_run(spec.schedule, end - MINUTE).replace(tzinfo=None) == runs[-1]


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
