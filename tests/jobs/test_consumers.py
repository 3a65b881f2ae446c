"""Real consumer subprocesses on the test's Redis and PostgreSQL: history, heartbeats, the
reaper after a SIGKILL, and several schedulers producing one run per job and period."""

import datetime as dt
import itertools
import signal
import time
import uuid

from django.db.models import Count, Q
from huey.contrib.djhuey import HUEY

from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.recorder import recorder
from apps.jobs.services import periodic_job_enqueue
from apps.jobs.tasks import jobs_canary_task
from tests.conftest import subprocess_env, wait_until

FAST_HEARTBEAT = {"JOBS_HEARTBEAT_SECONDS": "0.5", "JOBS_CONSUMER_DEAD_AFTER_SECONDS": "2"}


def canary_count(token: str) -> int:
    return HUEY.storage.incr(f"jobs.canary.{token}", 0)


def run_of(task_id: str) -> TaskRun | None:
    return TaskRun.objects.filter(task_id=task_id).first()


def test_a_consumer_records_history_and_heartbeats_and_flushes_on_clean_shutdown(
    huey_consumer,
):
    consumer = huey_consumer("--workers", "2", env=subprocess_env(**FAST_HEARTBEAT))
    ok = jobs_canary_task(token="ok")
    failed = jobs_canary_task(fail=True)
    slow = jobs_canary_task(seconds=30)
    assert ok.get(blocking=True, timeout=20) == 1
    wait_until(lambda: getattr(run_of(slow.id), "state", "") == "executing")
    wait_until(lambda: getattr(run_of(failed.id), "state", "") == "error")
    recorder.flush()

    done = run_of(ok.id)
    pid = str(consumer.process.pid)
    assert done.state == "complete" and f":{pid}:" in done.consumer
    assert done.enqueued_by and f":{pid}:" not in done.enqueued_by  # this process enqueued it
    assert done.kwargs == {"token": "ok"} and done.duration is not None and done.result == 1
    error = run_of(failed.id)
    [attempt] = TaskAttempt.objects.filter(task_id=failed.id)
    assert "the canary was asked to fail" in attempt.traceback and error.attempt == 1
    beats = WorkerHeartbeat.objects.filter(pid=consumer.process.pid)
    beat = wait_until(lambda: beats.filter(workers=2).first())  # both worker threads seen
    assert "huey" in beat.version and beat.stopped_at is None

    consumer.stop(signal.SIGTERM)  # huey's "interrupt" signal: running tasks are abandoned
    assert consumer.process.returncode == 0
    assert run_of(slow.id).state == "interrupted"  # written at exit, not lost
    beat.refresh_from_db()
    assert beat.stopped_at is not None


def test_a_task_on_a_killed_consumer_is_marked_lost_and_completes_exactly_once(huey_consumer):
    env = subprocess_env(**FAST_HEARTBEAT)
    doomed = huey_consumer("--workers", "1", env=env)
    token = uuid.uuid4().hex
    slow = jobs_canary_task(seconds=3, token=token)
    wait_until(lambda: getattr(run_of(slow.id), "state", "") == "executing")

    doomed.stop(signal.SIGKILL)  # no shutdown hook, no flush: the run stays "executing"
    survivor = huey_consumer("--workers", "1", env=env)
    time.sleep(2.5)  # the dead consumer's heartbeat goes stale
    periodic_job_enqueue(name="reaper", requested_by="test", force=True)  # this minute ran

    done = wait_until(lambda: (r := run_of(slow.id)) and r.state == "complete" and r, timeout=20)
    assert done.attempt == 2 and f":{survivor.process.pid}:" in done.consumer
    attempts = TaskAttempt.objects.filter(task_id=slow.id).order_by("number")
    assert [a.state for a in attempts] == ["lost", "complete"]
    assert f":{doomed.process.pid}:" in attempts[0].consumer
    assert canary_count(token) == 1

    periodic_job_enqueue(name="reaper", requested_by="test", force=True)
    time.sleep(1.5)
    assert TaskAttempt.objects.filter(task_id=slow.id).count() == 2  # re-enqueued once only
    assert canary_count(token) == 1


def test_three_consumers_each_scheduling_produce_one_run_per_job_and_period(huey_consumer):
    # 30x clock from 23:57 on New Year's Eve: every per-minute job sees a period each 2 s,
    # and the run crosses the hour, the day, the month and the year, past the hourly job's
    # 00:05 run.
    env = subprocess_env(
        JOBS_SIMULATED_CLOCK_RATE="30",
        JOBS_SIMULATED_EPOCH="2026-12-31T23:57:00",
        JOBS_SIMULATED_STARTED_AT=str(time.time() + 4),
        # No consumer dies here: a heartbeat come late on a loaded machine must not get a live
        # consumer's run declared lost and its period run again by the next attempt, or left
        # to an attempt still queued when the consumers stop (a fresh clone saw it).
        **{**FAST_HEARTBEAT, "JOBS_CONSUMER_DEAD_AFTER_SECONDS": "30"},
    )
    consumers = [huey_consumer("--workers", "2", env=env) for _ in range(3)]

    def reaper_periods() -> int:
        return PeriodicRun.objects.filter(job="reaper", status="succeeded").count()

    wait_until(lambda: reaper_periods() >= 11, timeout=120, interval=1)
    for consumer in consumers:
        consumer.stop(signal.SIGINT)

    runs = PeriodicRun.objects.filter(job="reaper").order_by("period_start")
    starts = [r.period_start for r in runs]
    assert all(b - a == dt.timedelta(minutes=1) for a, b in itertools.pairwise(starts))
    assert {r.runs for r in runs} == {1}
    per_period = (
        TaskRun.objects.filter(periodic_job="reaper")
        .values("period_key")
        .annotate(done=Count("id", filter=Q(state="complete")), copies=Count("id"))
    )
    assert {p["done"] for p in per_period} == {1}  # the body ran once per period
    assert sum(p["copies"] for p in per_period) >= 2 * len(per_period)  # ...of ~3 copies
    schedulers = TaskRun.objects.filter(periodic_job="reaper").values("enqueued_by").distinct()
    assert schedulers.count() == 3
    executors = {r.consumer for r in TaskRun.objects.filter(state="complete")}
    assert len(executors) >= 2

    reset = PeriodicRun.objects.get(job="quota_reset")  # the month opened at simulated 00:00
    assert (reset.period_key, reset.runs) == ("2027-01", 1)
    hourly = PeriodicRun.objects.get(job="analytics_hourly")
    assert (hourly.period_key, hourly.runs) == ("2026-12-31T23", 1)
    assert TaskRun.objects.filter(periodic_job="quota_reset", state="complete").count() == 1
