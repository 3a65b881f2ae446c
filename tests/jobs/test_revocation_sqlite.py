"""Revoking on the embedded broker (our SqliteHuey): the revoke flag huey clears after a run
goes with the worker's next take there too (test_revocation.py: the same on Redis)."""

import pytest
from huey.exceptions import RetryTask

from apps.jobs.adapter import SqliteHuey

pytestmark = pytest.mark.embedded


@pytest.fixture
def queue(tmp_path):
    huey = SqliteHuey("revoke", filename=str(tmp_path / "huey.sqlite3"))
    ran: list[str] = []

    @huey.task()
    def work(label: str) -> None:
        ran.append(label)

    @huey.task(context=True)
    def revoked_while_running(label: str, fail: bool = False, task=None) -> None:
        ran.append(label)
        if ran.count(label) == 1:
            huey.revoke_by_id(task.id)
            if fail:
                raise RetryTask()

    return huey, work, revoked_while_running, ran


def step(huey: SqliteHuey) -> None:
    task = huey.dequeue()
    if task is not None:
        huey.execute(task)


def test_a_revoked_task_is_skipped_and_a_flag_set_while_running_is_cleared(queue):
    huey, work, revoked_while_running, ran = queue
    skipped = work("a")
    skipped.revoke()
    finished = revoked_while_running("r")
    step(huey)
    step(huey)
    assert ran == ["r"] and huey.is_revoked(finished.task)  # cleared with the next take
    work("b")
    step(huey)
    assert ran == ["r", "b"] and not huey.is_revoked(finished.task)


def test_a_task_revoked_while_it_runs_and_failing_is_retried(queue):
    huey, _, revoked_while_running, ran = queue
    result = revoked_while_running("f", fail=True)
    step(huey)
    assert not huey.is_revoked(result.task)  # cleared before the retry was queued
    step(huey)
    assert ran == ["f", "f"]
