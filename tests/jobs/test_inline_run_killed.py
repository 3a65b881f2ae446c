"""`manage.py jobs_run` killed mid-run: the period it claimed must not read `running` for ever.

The command runs the job in its own process, so its claim names that process as the run's
consumer. It beats like a consumer while it runs; once it stops beating, a reaper pass marks
the run and its period `lost` and enqueues the next attempt for the consumers; an operator may
force the period at once instead (a running period refuses that), and the queued attempt then
finds it done. A real subprocess, held inside the roll-up's body by a table lock, SIGKILLed.
"""

import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from huey.contrib.djhuey import HUEY

from apps.analytics.models import HourlyRollup
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.jobs.recorder import recorder
from tests.conftest import ROOT, subprocess_env, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]
PERIOD = "2026-11-25T09"
DEAD_AFTER = 2.0


@pytest.fixture(autouse=True)
def broker():
    HUEY.flush()
    yield
    HUEY.flush()


def test_a_jobs_run_killed_mid_run_leaves_its_period_lost_and_a_forced_run_takes_it_over(
    settings, profile, tmp_path
):
    if profile != "production":
        pytest.fail("runs on the production path only: SQLite has no table lock to hold a body")
    settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS = DEAD_AFTER
    env = subprocess_env(JOBS_HEARTBEAT_SECONDS="0.5")
    log = tmp_path / "jobs_run.log"
    command = [sys.executable, "manage.py", "jobs_run", "analytics_hourly", "--period", PERIOD]
    with transaction.atomic():  # the roll-up's body waits on this lock
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {HourlyRollup._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        try:
            claimed = PeriodicRun.objects.filter(job="analytics_hourly", period_key=PERIOD)
            # Read outside this transaction's snapshot: the claim is the other process's.
            wait_until(lambda: _committed(claimed), timeout=60, message=log.read_text)
            [consumer] = _committed(claimed)
            time.sleep(1.2)  # its heartbeat thread beats meanwhile
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    run = PeriodicRun.objects.get(job="analytics_hourly", period_key=PERIOD)
    assert (run.status, run.consumer) == ("running", consumer)
    beat = WorkerHeartbeat.objects.get(consumer=consumer)  # it beat as a consumer does
    assert beat.stopped_at is None and beat.workers == 0
    assert beat.last_seen > beat.started_at  # and went on beating while the body waited
    assert task_runs_reap().lost == 0  # alive a moment ago: nothing is declared yet
    run.refresh_from_db()
    assert run.status == "running"

    time.sleep(DEAD_AFTER + 0.5)
    assert task_runs_reap().lost == 0  # not in any register: found through its history
    run.refresh_from_db()
    assert run.status == "lost"
    [attempt] = TaskAttempt.objects.filter(task_id=run.task_id)
    assert (attempt.number, attempt.state) == (1, "lost")
    recorder.flush()
    again = TaskRun.objects.get(task_id=run.task_id)
    assert (again.state, again.attempt) == ("enqueued", 2)
    [queued] = [HUEY.deserialize_task(data) for data in HUEY.storage.enqueued_items()]

    call_command("jobs_run", "analytics_hourly", "--period", PERIOD, "--force", "--by", "ops")
    run.refresh_from_db()
    assert (run.status, run.runs, run.forced, run.requested_by) == ("succeeded", 2, True, "ops")
    HUEY.storage.dequeue()
    HUEY.execute(queued)  # the lost run's next attempt, on a consumer: the period is done
    run.refresh_from_db()
    assert (run.status, run.runs, run.requested_by) == ("succeeded", 2, "ops")


def _committed(claimed) -> list[str]:
    """The claim's consumer as another connection sees it (committed rows only)."""
    with connections["default"].temporary_connection() as cursor:
        sql, params = claimed.values_list("consumer").query.sql_with_params()
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
