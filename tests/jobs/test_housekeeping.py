"""Retention and sweeping jobs, and the operator services on task runs and locks."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.jobs.exceptions import TaskRunStateError
from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.jobs.periodic import job_spec
from apps.jobs.selectors import locks_list, redacted, schedules_overview
from apps.jobs.services import locks_clear, task_run_retry, task_run_revoke
from apps.jobs.tasks import jobs_canary_task
from apps.mail.models import OutboundEmail

UTC = dt.UTC


@pytest.mark.embedded
@pytest.mark.django_db
def test_history_retention_keeps_recent_and_unfinished_runs(capsys):
    with time_machine.travel(dt.datetime(2026, 9, 1, tzinfo=UTC), tick=False):
        for _ in range(3):
            jobs_canary_task()
        TaskRun.objects.create(task_id="stuck", name="x.y", state="executing")
    with time_machine.travel(dt.datetime(2026, 11, 25, 3, 30, tzinfo=UTC), tick=False):
        jobs_canary_task()
        job_spec("history_retention").task()
        call_command("jobs_prune", "--days", "30")
    canaries = TaskRun.objects.filter(name__endswith="jobs_canary_task")
    assert canaries.count() == 1 and TaskRun.objects.filter(task_id="stuck").exists()
    assert PeriodicRun.objects.get(job="history_retention").result == {"deleted": 3}
    assert "deleted 0 task runs" in capsys.readouterr().out


@pytest.mark.embedded
@pytest.mark.django_db
def test_outbox_sweep_and_email_log_retention_run_as_periodic_jobs():
    old = OutboundEmail.objects.create(
        template_key="welcome",
        to="a@example.com",
        status="sent",
        created_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    with time_machine.travel(dt.datetime(2026, 11, 25, 3, 50, tzinfo=UTC), tick=False):
        job_spec("outbox_sweep").task()
        job_spec("email_log_retention").task()
    swept = PeriodicRun.objects.get(job="outbox_sweep").result
    assert swept == {"requeued": 0, "settled": 0, "secrets_wiped": 0}
    assert PeriodicRun.objects.get(job="email_log_retention").result == {"events": 0, "emails": 1}
    assert not OutboundEmail.objects.filter(pk=old.pk).exists()


@pytest.mark.embedded
@pytest.mark.django_db
def test_operators_retry_with_exact_args_revoke_and_see_redacted_arguments(capsys):
    jobs_canary_task(token="abc", fail=True)
    failed = TaskRun.objects.get(state="error")
    assert failed.kwargs == {"token": "abc", "fail": True}
    call_command("jobs_retry", failed.task_id, "--by", "ops@example.com")
    copy = TaskRun.objects.get(retry_of=failed.task_id)
    assert copy.kwargs == failed.kwargs and copy.requested_by == "ops@example.com"
    assert "re-enqueued jobs_canary_task" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No task run"):
        call_command("jobs_retry", "nope")
    queued = TaskRun.objects.create(task_id="queued-1", name=failed.name, state="enqueued")
    with pytest.raises(TaskRunStateError, match="only finished runs"):
        task_run_retry(run=queued, requested_by="ops")
    assert "revoke requested by ops" in task_run_revoke(run=queued, requested_by="ops").note
    assert redacted({"api_key": "s3cr3t", "ids": [1, {"password": "x"}]}) == {
        "api_key": "***",
        "ids": [1, {"password": "***"}],
    }


@pytest.mark.embedded
@pytest.mark.django_db
def test_stale_locks_are_listed_and_cleared_but_a_live_runs_lock_is_kept():
    spec = job_spec("analytics_daily")
    spec.lock.acquire("a run that died")
    assert [lock for lock in locks_list() if lock.locked] == [
        type(locks_list()[0])(
            job="analytics_daily", locked=True, stale=True, holder="a run that died"
        )
    ]
    assert locks_clear() == ["analytics_daily"]
    assert not spec.lock.is_locked()
    WorkerHeartbeat.objects.create(consumer="host:1", host="host", pid=1)
    PeriodicRun.objects.create(
        job="analytics_daily",
        period_key="2026-11-24",
        status="running",
        consumer="host:1",
        period_start=dt.datetime(2026, 11, 24, tzinfo=UTC),
        period_end=dt.datetime(2026, 11, 25, tzinfo=UTC),
    )
    spec.lock.acquire("the live run")
    assert locks_clear() == [] and spec.lock.is_locked()
    assert locks_clear(stale_only=False) == ["analytics_daily"]
    overview = {job.name: job for job in schedules_overview()}
    assert overview["analytics_daily"].last_run.status == "running"


@pytest.mark.django_db
def test_lock_and_pause_commands(capsys):
    job_spec("analytics_hourly").lock.acquire("a run")
    call_command("jobs_locks")
    call_command("jobs_locks", "--clear")
    call_command("jobs_pause", "analytics_hourly")
    call_command("jobs_list")
    call_command("jobs_pause", "analytics_hourly", "--resume")
    out = capsys.readouterr().out
    assert "analytics_hourly       stale" in out and "cleared: analytics_hourly" in out
    assert "analytics_hourly: paused" in out and "[paused]" in out
    assert "analytics_hourly: active" in out
    with pytest.raises(CommandError, match="No periodic job"):
        call_command("jobs_pause", "nope")
