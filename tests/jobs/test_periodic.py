"""The once-per-period guard, driven in-process with a travelling clock."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.jobs.exceptions import PeriodError
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun
from apps.jobs.period_claims import claim_holder
from apps.jobs.periodic import REGISTRY, job_spec
from apps.jobs.periods import period_containing, period_parse
from apps.jobs.services import periodic_job_pause, task_run_retry
from tests.factories import make_running_period

UTC = dt.UTC
OTHER_RUN = "a run of another period"


def test_period_keys_cover_hours_days_iso_weeks_and_months():
    moment = dt.datetime(2026, 1, 1, 0, 30, tzinfo=UTC)  # a Thursday in ISO week 2026-W01
    assert period_containing("hour", moment).key == "2026-01-01T00"
    assert period_containing("day", moment).shift(-1).key == "2025-12-31"
    assert period_containing("week", moment).key == "2026-W01"
    assert period_containing("week", moment).start == dt.datetime(2025, 12, 29, tzinfo=UTC)
    assert period_containing("month", moment).shift(-1).key == "2025-12"
    assert period_containing("month", moment).end == dt.datetime(2026, 2, 1, tzinfo=UTC)
    for kind, key in [("hour", "2026-03-01T05"), ("week", "2026-W48"), ("month", "2026-02")]:
        assert period_parse(kind, key).key == key
    with pytest.raises(PeriodError, match="write it like 2026-W48"):
        period_parse("week", "2026-48")


def test_every_job_is_declared_with_a_valid_schedule():
    expected = {"reaper", "history_retention", "analytics_hourly", "analytics_daily"}
    assert expected <= set(REGISTRY)
    assert job_spec("analytics_hourly").next_run(
        dt.datetime(2026, 11, 25, 10, 7, tzinfo=UTC)
    ) == dt.datetime(2026, 11, 25, 11, 5, tzinfo=UTC)


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_period_runs_once_however_often_it_is_triggered():
    spec = job_spec("analytics_hourly")
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 5, 3, tzinfo=UTC), tick=False):
        spec.task()
        spec.task()
        spec.task()
    run = PeriodicRun.objects.get(job="analytics_hourly")
    assert (run.period_key, run.status, run.runs) == ("2026-11-25T09", "succeeded", 1)
    states = sorted(
        TaskRun.objects.filter(periodic_job="analytics_hourly").values_list("state", flat=True)
    )
    assert states == ["canceled", "canceled", "complete"]
    assert TaskRun.objects.filter(state="canceled", note__contains="already claimed").count() == 2


@pytest.mark.embedded
@pytest.mark.django_db
def test_periods_across_a_boundary_each_get_their_own_run():
    spec = job_spec("analytics_hourly")
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 5, tzinfo=UTC)) as traveller:
        for _ in range(4):
            spec.task()
            spec.task()
            traveller.shift(dt.timedelta(hours=1))
    keys = list(PeriodicRun.objects.order_by("period_start").values_list("period_key", flat=True))
    assert keys == ["2026-12-31T21", "2026-12-31T22", "2026-12-31T23", "2027-01-01T00"]


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_forced_rerun_is_counted_and_attributed_and_a_paused_job_is_skipped(capsys):
    spec = job_spec("analytics_daily")
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        spec.task()
        with pytest.raises(CommandError, match="already claimed"):
            call_command("jobs_run", "analytics_daily", "--period", "2026-11-24")
        call_command(
            "jobs_run",
            "analytics_daily",
            "--period",
            "2026-11-24",
            "--force",
            "--by",
            "ops@example.com",
        )
        run = PeriodicRun.objects.get(job="analytics_daily", period_key="2026-11-24")
        assert (run.runs, run.forced, run.requested_by) == (2, True, "ops@example.com")
        periodic_job_pause(name="analytics_daily", paused=True, changed_by="ops")
        spec.task(period="2026-11-20")
        skipped = PeriodicRun.objects.get(job="analytics_daily", period_key="2026-11-20")
        assert skipped.status == "skipped"
        periodic_job_pause(name="analytics_daily", paused=False, changed_by="ops")
        call_command("jobs_list")
    out = capsys.readouterr().out
    assert "analytics_daily" in out and "0 2 * * *" in out and "2026-11-26 02:00" in out


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_failed_run_records_its_traceback_and_a_retry_reruns_the_period(monkeypatch):
    spec = job_spec("analytics_hourly")

    def broken(run):
        raise RuntimeError("roll-up exploded")

    monkeypatch.setattr(spec, "body", broken)
    moment = dt.datetime(2026, 11, 25, 10, 5, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), pytest.raises(CommandError):
        call_command("jobs_run", "analytics_hourly", "--period", "2026-11-25T09")
    run = PeriodicRun.objects.get()
    assert run.status == "failed" and "roll-up exploded" in run.error
    failed = TaskRun.objects.get(periodic_job="analytics_hourly")
    assert failed.state == "error" and "RuntimeError" in failed.error
    [attempt] = TaskAttempt.objects.filter(task_id=failed.task_id)
    assert attempt.state == "error" and "roll-up exploded" in attempt.traceback
    monkeypatch.undo()
    copy = task_run_retry(run=failed, requested_by="ops")
    assert copy.retry_of == failed.task_id


@pytest.mark.django_db
def test_jobs_run_rejects_unknown_jobs_and_bad_periods():
    with pytest.raises(CommandError, match="No periodic job"):
        call_command("jobs_run", "nope")
    with pytest.raises(CommandError, match="not a valid hour period"):
        call_command("jobs_run", "analytics_hourly", "--period", "2026-11")


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_lock_left_by_a_run_that_ended_is_freed_by_the_next_run_but_a_running_ones_is_not(
    settings,
):
    """A run's release failed (the broker was down as it ended): its lock names a claim that is
    over, so the job's next run frees it and runs, instead of every later period failing
    `locked` until an operator clears it. A lock whose claim still runs is waited for."""
    spec = job_spec("analytics_hourly")
    spec.task(period="2026-11-25T08")
    ended = PeriodicRun.objects.get(job=spec.name, period_key="2026-11-25T08")
    assert ended.status == "succeeded"
    spec.lock.acquire(claim_holder(ended))  # what its failed release left behind
    spec.task(period="2026-11-25T09")
    run = PeriodicRun.objects.get(job=spec.name, period_key="2026-11-25T09")
    assert (run.status, spec.lock.is_locked()) == ("succeeded", False)

    settings.JOBS_LOCK_WAIT_SECONDS = 0.2
    running = make_running_period(spec.name, "2026-11-25T07")
    spec.lock.acquire(claim_holder(running))
    try:
        result = spec.task(period="2026-11-25T10")
        assert spec.lock.holder() == claim_holder(running)
    finally:
        spec.lock.clear()
    assert TaskAttempt.objects.get(task_id=result.id, number=1).state == "locked"


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_run_waits_for_its_jobs_lock_briefly_then_retries_later(settings):
    # Another period's run holds the job's lock: a run waits for it instead of failing at once
    # (runs of a backfill take turns); held past JOBS_LOCK_WAIT_SECONDS, the run is locked and
    # keeps its period for a retry.
    spec = job_spec("analytics_hourly")
    settings.JOBS_LOCK_WAIT_SECONDS = 2
    spec.lock.acquire(OTHER_RUN)
    releaser = threading.Timer(0.3, spec.lock.release, args=[OTHER_RUN])
    releaser.start()
    spec.task(period="2026-11-25T09")
    releaser.join()
    run = PeriodicRun.objects.get(job=spec.name, period_key="2026-11-25T09")
    assert (run.status, run.runs) == ("succeeded", 1)
    assert TaskRun.objects.get(task_id=run.task_id).state == "complete"

    settings.JOBS_LOCK_WAIT_SECONDS = 0.2
    spec.lock.acquire(OTHER_RUN)
    try:
        result = spec.task(period="2026-11-25T10")
    finally:
        spec.lock.release(OTHER_RUN)
    run = PeriodicRun.objects.get(job=spec.name, period_key="2026-11-25T10")
    assert run.status == "running" and run.task_id == result.id  # kept for its retry
    attempt = TaskAttempt.objects.get(task_id=result.id, number=1)
    assert attempt.state == "locked"  # and its retry is scheduled
