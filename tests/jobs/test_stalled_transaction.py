"""A consumer paused inside a transaction (SIGSTOP, a frozen machine) holds row locks that
the reaper must take to settle that consumer's runs. Every process's PostgreSQL session ends a
transaction left idle for DATABASE_IDLE_TRANSACTION_SECONDS, so the reaper goes on instead of
waiting for ever (a stall in the soak once hung there for good)."""

import datetime as dt
import subprocess
import sys
import threading

import pytest
from django.utils import timezone

from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from tests.conftest import ROOT, subprocess_env, wait_until

# PostgreSQL's sessions: a production-profile test (not marked embedded).
pytestmark = pytest.mark.django_db(transaction=True)
PAUSED = """
import sys, time
from django.db import connection, transaction
with transaction.atomic():
    connection.cursor().execute("UPDATE jobs_taskrun SET note = 'writing' WHERE task_id = 'held'")
    print("holding", flush=True)
    time.sleep(120)  # paused here, its transaction open
"""


def test_the_reaper_is_not_held_by_a_paused_consumers_open_transaction():
    long_ago = timezone.now() - dt.timedelta(hours=1)
    WorkerHeartbeat.objects.create(consumer="paused:1:x", host="paused", pid=1, last_seen=long_ago)
    run = TaskRun.objects.create(
        task_id="held",
        name="apps.jobs.tasks.jobs_canary_task",
        state="executing",
        consumer="paused:1:x",
    )
    paused = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", PAUSED],
        cwd=ROOT,
        env=subprocess_env(DATABASE_IDLE_TRANSACTION_SECONDS="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: "holding" in paused.stdout.readline(), timeout=60)
        reaper = threading.Thread(target=task_runs_reap, daemon=True)
        reaper.start()
        reaper.join(timeout=30)
        assert not reaper.is_alive(), "the reaper still waits for the paused process's lock"
        assert TaskRun.objects.get(pk=run.pk).state != "executing"
    finally:
        paused.kill()
        paused.wait(10)
