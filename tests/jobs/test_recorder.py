"""The history writer's two paths: progress merged into a row its enqueuer wrote, and a whole
row when the enqueuer's row is missing; on PostgreSQL and on the embedded SQLite."""

import time

import pytest
from huey import signals as S

from apps.jobs.models import TaskAttempt, TaskRun
from apps.jobs.recorder import recorder
from apps.jobs.tasks import jobs_canary_task

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def events(task, *signals, start: float, step: float = 0.5):
    return [(signal, task, 1, start + i * step, None) for i, signal in enumerate(signals)]


def test_progress_is_merged_into_the_row_its_enqueuer_wrote():
    task = jobs_canary_task.s(token="kept")
    start = time.time()
    recorder.write(events(task, S.SIGNAL_ENQUEUED, start=start))
    recorder.write(events(task, S.SIGNAL_EXECUTING, S.SIGNAL_COMPLETE, start=start + 1))
    run = TaskRun.objects.get(task_id=task.id)
    assert (run.state, run.attempt, run.kwargs) == ("complete", 1, {"token": "kept"})
    assert run.name.endswith("jobs_canary_task") and run.enqueued_by
    assert run.enqueued_at.timestamp() == pytest.approx(start, abs=0.01)
    assert run.duration == pytest.approx(0.5, abs=0.01) and run.consumer
    attempt = TaskAttempt.objects.get(task_id=task.id)
    assert (attempt.number, attempt.state, attempt.consumer) == (1, "complete", run.consumer)
    # A late, lower-ranked event (the executing signal of a slow batch) changes nothing.
    recorder.write(events(task, S.SIGNAL_EXECUTING, start=start + 0.9))
    assert TaskRun.objects.get(task_id=task.id).state == "complete"


def test_a_task_whose_enqueue_row_is_missing_gets_a_whole_row():
    task = jobs_canary_task.s(token="orphan")
    start = time.time()
    recorder.write(events(task, S.SIGNAL_EXECUTING, S.SIGNAL_COMPLETE, start=start))
    run = TaskRun.objects.get(task_id=task.id)
    assert run.state == "complete" and run.kwargs == {"token": "orphan"}
    assert run.name.endswith("jobs_canary_task") and run.enqueued_at is None
    assert run.created_at.timestamp() == pytest.approx(start, abs=0.01)
    # The enqueuer's batch arriving late keeps the outcome and adds when it was enqueued.
    recorder.write(events(task, S.SIGNAL_ENQUEUED, start=start - 1))
    run = TaskRun.objects.get(task_id=task.id)
    assert run.state == "complete" and run.enqueued_at.timestamp() == pytest.approx(
        start - 1, abs=0.01
    )
