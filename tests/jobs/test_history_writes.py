"""The task history is written whatever the tasks carry and however many write at once.

- A lone surrogate or a NUL in a task's arguments, error or result is cleaned, never a batch
  the writer retries for ever (every later event was lost until a restart).
- A batch the database refuses for its content is split until the one event at fault is
  dropped, with one logged error; the rest is written.
- An enqueuer writing 3,000 rows while 4 consumers update them never deadlocks: every row
  keeps its `enqueued_at` (the backlog alert reads it).
"""

import logging
import subprocess
import sys
import uuid

import pytest
from huey.api import Task
from huey.contrib.djhuey import HUEY

from apps.jobs.models import TaskAttempt, TaskRun
from apps.jobs.recorder import recorder
from apps.jobs.tasks import jobs_canary_task
from tests.conftest import ROOT, subprocess_env, wait_until

POISON = "bad \ud800 and \x00 here"


@pytest.mark.embedded
@pytest.mark.django_db
def test_a_task_with_a_lone_surrogate_and_a_nul_is_recorded_cleaned_and_nothing_after_is_lost():
    poisoned = jobs_canary_task.s(token=POISON, fail=True)  # its error message holds it too
    plain = jobs_canary_task.s(token="plain")
    recorder.write(
        [
            ("enqueued", poisoned, 1, 1.0, None),
            ("error", poisoned, 1, 2.0, RuntimeError(POISON)),
            ("enqueued", plain, 1, 3.0, None),
        ]
    )
    row = TaskRun.objects.get(task_id=poisoned.id)
    assert row.kwargs["token"] == "bad \ufffd and  here" and row.state == "error"
    assert "bad \ufffd and  here" in TaskAttempt.objects.get(task_id=poisoned.id).traceback
    assert TaskRun.objects.filter(task_id=plain.id).exists()


@pytest.mark.django_db
def test_a_batch_the_database_refuses_is_split_and_only_the_bad_event_is_dropped(caplog):
    # A task id longer than the column (PostgreSQL refuses it; nothing we enqueue has one).
    bad = Task(id="x" * 80)
    good = [jobs_canary_task.s(token=f"good-{i}") for i in range(7)]
    events = [("enqueued", task, 1, 1.0 + i, None) for i, task in enumerate(good[:4])]
    events += [("enqueued", bad, 1, 5.0, None)]
    events += [("enqueued", task, 1, 6.0 + i, None) for i, task in enumerate(good[4:])]
    with caplog.at_level(logging.ERROR, logger="apps.jobs"):
        assert recorder.write(events) == 7
    assert TaskRun.objects.filter(task_id__in=[t.id for t in good]).count() == 7
    dropped = [r for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(dropped) == 1


@pytest.mark.django_db(transaction=True)
def test_enqueuing_3000_while_4_consumers_run_keeps_every_enqueued_at(huey_consumer, tmp_path):
    consumers = [huey_consumer("--workers", "1") for _ in range(4)]
    run = uuid.uuid4().hex[:8]
    script = (
        "from apps.jobs.tasks import jobs_canary_task\n"
        f"for i in range(3000): jobs_canary_task(token='{run}-%d' % i)\n"
    )
    log = tmp_path / "enqueuer.log"
    enqueuer = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        timeout=300,
    )
    assert enqueuer.returncode == 0, log.read_text()
    runs = TaskRun.objects.filter(
        name="apps.jobs.tasks.jobs_canary_task", kwargs__token__startswith=f"{run}-"
    )
    wait_until(
        lambda: runs.filter(state="complete").count() == 3000,
        timeout=300,
        interval=1,
        message=lambda: str(runs.values_list("state").distinct()),
    )
    assert not runs.filter(enqueued_at__isnull=True).exists()
    logs = log.read_text() + "".join(c.output() for c in consumers)
    assert "task history flush failed" not in logs and "Deadlock" not in logs
    assert HUEY.pending_count() == 0
