"""Revoking on the production broker (Redis), with workers simulated in-process on real Redis.

A worker learns from its take which revoke flags were set (an index beside huey's flags) and
asks huey's results hash only when one concerns the task it took; the revoke flag huey clears
after a run goes with the worker's next take. Revoking must behave exactly as huey's: these
tests drive our Huey class and compare with huey's own reading of the same flags.
"""

import uuid

import pytest
from django.conf import settings
from huey import RedisHuey as BareRedisHuey
from huey.exceptions import RetryTask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.jobs.adapter import RedisHuey


class Worker:
    """One consumer worker of a fresh queue: takes a task and runs it as huey's worker does."""

    def __init__(self, huey: RedisHuey):
        self.huey = huey

    def step(self):
        task = self.huey.dequeue()
        if task is not None:
            self.huey.execute(task)
        return task


@pytest.fixture
def queue():
    name = f"revoke-{uuid.uuid4().hex[:8]}"
    huey = RedisHuey(name, url=settings.REDIS_URL, blocking=False)
    ran: list[str] = []

    @huey.task()
    def work(label: str) -> str:
        ran.append(label)
        return label

    @huey.task()
    def other(label: str) -> str:
        ran.append(label)
        return label

    @huey.task(context=True)
    def revoked_while_running(label: str, fail: bool = False, task=None) -> None:
        ran.append(label)
        if ran.count(label) == 1:
            huey.revoke_by_id(task.id)  # an operator revokes it while it runs...
            if fail:
                raise RetryTask()  # ...and it fails: huey retries it

    yield huey, work, other, revoked_while_running, ran
    huey.flush()


def flags(huey: RedisHuey) -> set[str]:
    return {m.decode() for m in huey.storage.conn.smembers(huey.storage.revoked_key)}


def huey_reads_revoked(huey: RedisHuey, task) -> bool:
    """huey's own reading of the flags (a bare RedisHuey on the same queue)."""
    return BareRedisHuey(huey.name, url=settings.REDIS_URL).is_revoked(task, peek=True)


def test_a_revoked_task_is_skipped_and_runs_again_once_restored(queue):
    huey, work, _, _, ran = queue
    worker = Worker(huey)
    first, second = work("a"), work("b")
    huey.revoke(first.task)  # for good (a result's revoke() is for one run)
    assert worker.step().id == first.id and worker.step().id == second.id
    assert ran == ["b"]
    assert flags(huey) == {first.task.revoke_id}  # a permanent revoke stays, as in huey

    first.restore()
    assert flags(huey) == set()
    huey.enqueue(first.task)
    worker.step()
    assert ran == ["b", "a"]


def test_revoking_a_kind_of_task_skips_every_copy_until_restored_and_spares_other_kinds(queue):
    huey, work, other, _, ran = queue
    worker = Worker(huey)
    work("a"), other("x"), work("b")
    work.revoke()
    for _ in range(3):
        worker.step()
    assert ran == ["x"]
    work.restore()
    work("c")
    worker.step()
    assert ran == ["x", "c"]


def test_a_revoke_once_skips_one_run_and_then_leaves_no_flag(queue):
    huey, work, _, _, ran = queue
    worker = Worker(huey)
    result = work("a")
    result.revoke(revoke_once=True)
    worker.step()
    assert ran == [] and flags(huey) == set()
    assert not huey_reads_revoked(huey, result.task)
    huey.enqueue(result.task)
    worker.step()
    assert ran == ["a"]


def test_a_worker_on_a_queue_never_revoked_reads_the_flags_once_not_per_task(queue):
    huey, work, _, _, ran = queue
    reads = []
    read = huey.storage._read_flagged
    huey.storage._read_flagged = lambda **kw: reads.append(1) or read(**kw)
    for label in "abcde":
        work(label)
    worker = Worker(huey)
    for _ in range(5):
        worker.step()
    assert ran == list("abcde") and len(reads) == 1


def test_a_revoke_from_another_process_reaches_a_worker_that_already_took_tasks(queue):
    huey, work, _, _, ran = queue
    worker = Worker(huey)
    work("a"), work("b")
    worker.step()  # this worker has read the (empty) flags
    elsewhere = RedisHuey(huey.name, url=settings.REDIS_URL)  # e.g. the console's process
    elsewhere.revoke_by_id(huey.pending()[0].id)
    worker.step()
    assert ran == ["a"]


def test_a_task_revoked_while_it_runs_and_failing_is_retried_without_its_flag(queue):
    huey, _, _, revoked_while_running, ran = queue
    worker = Worker(huey)
    result = revoked_while_running("f", fail=True)
    worker.step()  # huey clears a flag set during the run: cleared before the retry is queued
    assert flags(huey) == set()
    assert not huey_reads_revoked(huey, result.task)
    worker.step()
    assert ran == ["f", "f"]


def test_the_flag_a_finished_run_leaves_goes_with_the_workers_next_take(queue):
    huey, work, _, revoked_while_running, ran = queue
    worker = Worker(huey)
    result = revoked_while_running("r")
    work("a")
    worker.step()
    assert flags(huey) == {result.task.revoke_id}  # still set: it goes with the next take
    worker.step()
    assert ran == ["r", "a"] and flags(huey) == set()
    assert not huey_reads_revoked(huey, result.task)


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["enqueue", "revoke", "revoke_once", "restore", "revoke_kind", "restore_kind", "take"]
        ),
        st.integers(0, 3),
    ),
    max_size=25,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_every_take_decides_as_huey_would_whatever_the_revokes(queue, ops):
    # Before each run, huey's own reading of the flags (a bare RedisHuey on the same queue)
    # says whether the task is revoked; our worker must run exactly the tasks it would.
    huey, work, _, _, ran = queue
    huey.flush()
    ran.clear()
    worker = Worker(huey)
    tasks = [work.s(f"t{i}") for i in range(4)]
    expected = []
    for op, i in ops:
        task = tasks[i]
        if op == "enqueue":
            huey.enqueue(task)
        elif op == "revoke":
            huey.revoke(task)
        elif op == "revoke_once":
            huey.revoke(task, revoke_once=True)
        elif op == "restore":
            huey.restore(task)
        elif op == "revoke_kind":
            work.revoke()
        elif op == "restore_kind":
            work.restore()
        elif huey.pending_count():
            head = huey.pending(limit=1)[0]
            if not huey_reads_revoked(huey, head):
                expected.append(head.args[0])
            worker.step()
            huey._settle()
    assert ran == expected
    keys = {key.decode() for key in huey.storage.conn.hkeys(huey.storage.result_key)}
    assert flags(huey) == {key for key in keys if key.startswith(("r:", "rt:"))}


def test_with_the_index_off_huey_alone_decides_and_no_index_is_written(settings):
    # JOBS_REVOKE_INDEX=False is the benchmark's baseline: huey's own checks, nothing else.
    settings.JOBS_REVOKE_INDEX = False
    huey = RedisHuey(f"revoke-off-{uuid.uuid4().hex[:8]}", url=settings.REDIS_URL, blocking=False)
    ran: list[str] = []

    @huey.task(context=True)
    def work(label: str, task=None) -> None:
        ran.append(label)
        if label == "r":
            huey.revoke_by_id(task.id)  # revoked while it runs: huey clears it afterwards

    try:
        worker = Worker(huey)
        skipped, finished = work("a"), work("r")
        huey.revoke(skipped.task)  # for good, until restored
        work("b")
        for _ in range(3):
            worker.step()
        assert ran == ["r", "b"]
        assert not huey_reads_revoked(huey, finished.task)
        assert huey_reads_revoked(huey, skipped.task) and flags(huey) == set()
        skipped.restore()
        huey.enqueue(skipped.task)
        worker.step()
        assert ran == ["r", "b", "a"]
    finally:
        huey.flush()
