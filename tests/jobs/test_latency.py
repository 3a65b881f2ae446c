"""Latency percentiles (issue 19.9): the summary's histograms give each window's p50/p95/p99
of run time and queue wait within a bucket (5 %) of the exact figures, the slowest runs
exactly, each run in the windows it belongs to, and hours summarized once."""

import datetime as dt
import math
import random

import pytest
import time_machine

from apps.jobs.latency.figures import latency_overview
from apps.jobs.latency.histogram import BASE
from apps.jobs.latency.summary import DONE, task_latency_summarize
from apps.jobs.models import TaskLatency, TaskRun

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
NOW = dt.datetime(2026, 12, 3, 14, 20, tzinfo=dt.UTC)  # a Thursday afternoon
SEND = "apps.mail.tasks.email_deliver_task"


def make_runs(count: int, *, ago_from: dt.timedelta, ago_to: dt.timedelta, seed: int) -> list:
    """`count` finished runs spread over [NOW - ago_from, NOW - ago_to): run times of 2 ms to
    a minute, queue waits of 1 ms to 10 s (log-uniform), some of them retried."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        created = NOW - ago_from + (ago_from - ago_to) * rng.random()
        wait, run = 10 ** rng.uniform(-3, 1), 10 ** rng.uniform(-2.7, 1.8)
        rows.append(
            TaskRun(
                task_id=f"{seed}-{n}",
                name=SEND,
                state="complete",
                created_at=created,
                enqueued_at=created,
                started_at=created + dt.timedelta(seconds=wait),
                finished_at=created + dt.timedelta(seconds=wait + run),
                duration=run,
                attempt=1 if n % 10 else 2,
            )
        )
    return TaskRun.objects.bulk_create(rows)


def exact(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def close(estimate: float, truth: float) -> bool:
    return truth / BASE <= estimate <= truth * BASE


@pytest.fixture
def week():
    runs = [
        *make_runs(
            300, ago_from=dt.timedelta(days=6, hours=12), ago_to=dt.timedelta(days=1), seed=1
        ),
        *make_runs(
            200, ago_from=dt.timedelta(hours=20), ago_to=dt.timedelta(hours=1, minutes=30), seed=2
        ),
        *make_runs(100, ago_from=dt.timedelta(minutes=55), ago_to=dt.timedelta(0), seed=3),
    ]
    for _ in range(8):  # a few passes catch up on the week (a day's worth each)
        task_latency_summarize(now=NOW)
    return runs


def test_each_window_gives_percentiles_within_a_bucket_of_the_exact_figures(week):
    overview = latency_overview(now=NOW)
    for window, latency in ((w, overview.windows[w][SEND]) for w in ("hour", "day", "week")):
        inside = [r for r in week if r.created_at >= overview.since[window]]
        assert latency.runs == len(inside), window
        waits = [(r.started_at - r.enqueued_at).total_seconds() for r in inside if r.attempt == 1]
        for share, value in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            assert close(latency.run(share), exact([r.duration for r in inside], value)), window
            assert close(latency.wait(share), exact(waits, value)), (window, share)
        slowest = sorted(inside, key=lambda r: -r.duration)[:10]
        assert [pk for _, pk in latency.slowest] == [r.pk for r in slowest], window


def test_windows_start_where_they_say(week):
    overview = latency_overview(now=NOW)
    assert overview.since["hour"] == NOW - dt.timedelta(hours=1)
    assert overview.since["day"] == dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
    assert overview.since["week"] == dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    assert overview.names() == [SEND]
    assert overview.summary_written_at is not None


def test_hours_are_summarized_once_and_a_day_row_is_built_from_them(week):
    marked = TaskLatency.objects.filter(name=DONE, span="hour").count()
    assert marked == 8 * 24  # every hour of the kept 8 days, the recent ones included
    result = task_latency_summarize(now=NOW)
    assert result["hours"] == 3  # only the recent hours again: nothing left to catch up on
    day = TaskLatency.objects.get(
        name=SEND, span="day", start=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    )
    hours = TaskLatency.objects.filter(name=SEND, span="hour", start__date=dt.date(2026, 12, 1))
    assert day.runs == sum(h.runs for h in hours) > 0


def test_an_hour_the_summary_has_not_reached_yet_is_read_from_the_history():
    make_runs(40, ago_from=dt.timedelta(hours=3), ago_to=dt.timedelta(0), seed=4)
    with time_machine.travel(NOW - dt.timedelta(hours=1, minutes=10), tick=False):
        task_latency_summarize(now=NOW - dt.timedelta(hours=1, minutes=10))  # up to 13:00
    overview = latency_overview(now=NOW)  # 14:20: 13:00-14:00 has no summary yet
    assert overview.windows["day"][SEND].runs == overview.windows["week"][SEND].runs == 40
