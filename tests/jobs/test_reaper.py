"""The reaper, in-process: what a dead consumer held becomes `lost`, is announced through
`run_lost`, and (declared idempotent) is enqueued again as its next attempt, exactly once.

A consumer is simulated on the broker's in-flight register itself (immediate mode keeps it in
memory); the kill tests in test_kills.py do the same with real processes and SIGKILL.
"""

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.jobs.adapter import (
    attempt_of,
    consumer_name,
    counter_add,
    inflight_consumers,
    inflight_tasks,
    task_name,
)
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.period_claims import claim_holder
from apps.jobs.periodic import job_spec
from apps.jobs.reaper import task_runs_reap
from apps.jobs.signals import run_lost
from apps.jobs.tasks import jobs_canary_task
from apps.mail.tasks import email_deliver_task
from tests.factories import make_running_period

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]
DEAD, ALIVE = "gone:1:dead", "here:2:live"


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, signal, **kwargs):
        calls.append(kwargs)

    run_lost.connect(receiver)
    yield calls
    run_lost.disconnect(receiver)


@pytest.fixture(autouse=True)
def consumers():
    HUEY.flush()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    WorkerHeartbeat.objects.create(consumer=DEAD, host="gone", pid=1, last_seen=long_ago)
    WorkerHeartbeat.objects.create(consumer=ALIVE, host="here", pid=2)
    yield
    HUEY.flush()


def taken(consumer: str, wrapper, *args, **kwargs):
    """`consumer` dequeues this task (it is now registered to it) and starts it."""
    task = wrapper.s(*args, **kwargs)
    HUEY.storage.enqueue(HUEY.serialize_task(task))
    HUEY.storage.take(consumer)
    return task


def queued() -> list:
    return [HUEY.deserialize_task(data) for data in HUEY.storage.enqueued_items()]


def test_an_idempotent_task_of_a_dead_consumer_is_lost_then_enqueued_again_once(heard):
    task = taken(DEAD, jobs_canary_task, token="t1")
    survivor = taken(ALIVE, jobs_canary_task, token="t2")

    result = task_runs_reap()
    assert (result.lost, result.requeued) == (1, 1)
    run = TaskRun.objects.get(task_id=task.id)
    assert (run.state, run.attempt, run.consumer) == ("lost", 1, DEAD)
    assert "enqueued again as attempt 2" in run.note
    attempt = TaskAttempt.objects.get(task_id=task.id)
    assert (attempt.number, attempt.state, attempt.consumer) == (1, "lost", DEAD)
    [again] = queued()
    assert (again.id, attempt_of(again), again.kwargs) == (task.id, 2, {"token": "t1"})
    assert heard == [
        {
            "task_name": "apps.jobs.tasks.jobs_canary_task",
            "task_id": task.id,
            "attempt": 1,
            "args": [],
            "kwargs": {"token": "t1"},
            "consumer": DEAD,
            "requeued": True,
        }
    ]

    assert task_runs_reap().lost == 0  # nothing left to reap: enqueued exactly once
    assert len(queued()) == 1 and len(heard) == 1
    assert DEAD not in inflight_consumers()  # its empty register is forgotten
    assert [t.task.id for t in inflight_tasks(ALIVE)] == [survivor.id]  # alive: untouched


def test_a_reaper_never_declares_its_own_consumer_dead_however_late_its_heartbeat():
    # Under load a consumer's heartbeat row can fall behind its dead-after time while its
    # workers run; its own reaper pass then took back the tasks it was running, and they ran
    # twice (seen once in the stalled-consumer test on a loaded machine).
    me = consumer_name()
    WorkerHeartbeat.objects.create(
        consumer=me, host="here", pid=3, last_seen=timezone.now() - dt.timedelta(hours=1)
    )
    mine = taken(me, jobs_canary_task, token="t-self")
    taken(DEAD, jobs_canary_task, token="t-dead")
    assert task_runs_reap().lost == 1  # the dead one's only
    assert [t.task.id for t in inflight_tasks(me)] == [mine.id]
    assert TaskRun.objects.filter(task_id=mine.id, state="lost").count() == 0


def test_the_next_attempt_runs_on_a_survivor_and_both_attempts_are_kept():
    task = taken(DEAD, jobs_canary_task, token="t3")
    task_runs_reap()
    again = HUEY.dequeue()  # a surviving consumer's cycle: dequeue (registers), execute
    HUEY.execute(again)
    assert inflight_tasks(consumer_name()) == []  # released once its outcome is written
    run = TaskRun.objects.get(task_id=task.id)
    assert (run.state, run.attempt) == ("complete", 2)
    attempts = TaskAttempt.objects.filter(task_id=task.id).order_by("number")
    assert [(a.number, a.state) for a in attempts] == [(1, "lost"), (2, "complete")]
    assert counter_add("jobs.canary.t3", 0) == 1


def test_an_email_delivery_lost_mid_send_is_announced_and_never_enqueued_again(heard):
    task = taken(DEAD, email_deliver_task, 42)
    assert task_runs_reap().requeued == 0
    assert queued() == []
    run = TaskRun.objects.get(task_id=task.id)
    assert run.state == "lost" and "not declared idempotent" in run.note
    assert [(h["task_name"], h["args"], h["requeued"]) for h in heard] == [
        (task_name(email_deliver_task), [42], False)
    ]


def test_a_task_whose_outcome_was_written_is_only_released(heard):
    task = taken(DEAD, jobs_canary_task, token="t4")
    TaskRun.objects.create(task_id=task.id, name=task_name(task), state="complete", attempt=1)
    result = task_runs_reap()
    assert (result.lost, result.released) == (0, 1)
    assert queued() == [] and heard == []
    assert TaskRun.objects.get(task_id=task.id).state == "complete"


def test_a_task_that_finished_but_whose_outcome_was_never_written_is_not_run_again(heard):
    task = taken(DEAD, jobs_canary_task, token="t5")
    [entry] = inflight_tasks(DEAD)
    HUEY.storage.finish(DEAD, entry.receipt)  # finished; the history batch died with it
    result = task_runs_reap()
    assert (result.lost, result.unrecorded, result.requeued) == (0, 1, 0)
    assert queued() == [] and heard == []
    run = TaskRun.objects.get(task_id=task.id)
    assert run.state == "unrecorded" and "died before writing the outcome" in run.note
    assert TaskAttempt.objects.get(task_id=task.id).state == "unrecorded"


def test_a_consumer_that_registered_moments_ago_without_a_heartbeat_yet_is_alive(settings):
    taken("new:3:born", jobs_canary_task)
    assert task_runs_reap().lost == 0
    settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS = 0  # ...but one that never beat at all is dead
    assert task_runs_reap(now=timezone.now() + dt.timedelta(seconds=1)).lost == 1


def test_a_task_lost_too_often_is_not_enqueued_again(settings):
    settings.JOBS_LOST_MAX_ATTEMPTS = 2
    task = taken(DEAD, jobs_canary_task)
    task_runs_reap()
    [again] = queued()
    HUEY.storage.dequeue()
    HUEY.storage.enqueue(HUEY.serialize_task(again))
    HUEY.storage.take(DEAD)  # the second attempt dies with its consumer too
    assert task_runs_reap().requeued == 0
    assert "not enqueued again after 2 lost attempts" in TaskRun.objects.get(task_id=task.id).note


def test_a_receiver_that_fails_leaves_the_run_registered_for_the_next_pass(heard):
    def broken(sender, **kwargs):
        raise RuntimeError("the mail app is down")

    task = taken(DEAD, jobs_canary_task)
    run_lost.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            task_runs_reap()
    finally:
        run_lost.disconnect(broken)
    assert not TaskRun.objects.filter(task_id=task.id).exists()  # rolled back
    assert queued() == [] and [t.task.id for t in inflight_tasks(DEAD)] == [task.id]
    assert task_runs_reap().requeued == 1  # the next pass does it all


def test_a_lost_periodic_run_frees_its_period_and_lock_for_its_next_attempt():
    spec = job_spec("analytics_hourly")
    task = taken(DEAD, spec.task, period="2026-11-25T09")
    claim = make_running_period(spec.name, "2026-11-25T09", task_id=task.id, consumer=DEAD)
    spec.lock.acquire(claim_holder(claim))
    task_runs_reap()
    assert PeriodicRun.objects.get(job=spec.name).status == "lost"
    assert not spec.lock.is_locked()
    [again] = queued()
    HUEY.execute(again)  # the next attempt takes the period over
    run = PeriodicRun.objects.get(job=spec.name)
    assert (run.status, run.runs, run.task_id) == ("succeeded", 2, task.id)


def test_a_period_left_running_by_a_dead_consumer_that_holds_nothing_can_be_run_again():
    """A Redis restarted empty took the dead consumer's register, and its history events died
    unwritten: only the period's row says it ran there. Once its attempts are spent nothing
    would ever finish it; the reaper marks it lost, so an operator's forced run can take it
    over (the console refuses to force a running period)."""
    spec = job_spec("analytics_hourly")
    dead = make_running_period(spec.name, "2026-11-25T09", task_id="vanished", consumer=DEAD)
    alive = make_running_period(spec.name, "2026-11-25T10", task_id="running-here", consumer=ALIVE)
    spec.lock.acquire(claim_holder(dead))  # its holder is dead
    task_runs_reap()
    assert PeriodicRun.objects.get(task_id="vanished").status == "lost"
    alive.refresh_from_db()
    assert alive.status == "running"  # a live consumer's run is left alone
    assert not spec.lock.is_locked()
    forced = spec.task.s(period="2026-11-25T09", force=True, requested_by="ops@example.com")
    HUEY.execute(forced)
    run = PeriodicRun.objects.get(task_id=forced.id)
    assert (run.period_key, run.status, run.runs, run.forced) == (
        "2026-11-25T09",
        "succeeded",
        2,
        True,
    )


def test_a_lost_period_frees_the_jobs_lock_only_when_its_own_claim_holds_it():
    """The job's lock is held by a live consumer's run of another period when the reaper
    declares a dead consumer's period lost: that lock is the live run's, and stays held (the
    reaper freed the job's lock whoever held it, and a second run of the job could start
    beside the live one)."""
    spec = job_spec("analytics_hourly")
    make_running_period(spec.name, "2026-11-25T09", task_id="vanished", consumer=DEAD)
    alive = make_running_period(spec.name, "2026-11-25T10", task_id="running-here", consumer=ALIVE)
    spec.lock.acquire(claim_holder(alive))
    try:
        task_runs_reap()
        assert PeriodicRun.objects.get(task_id="vanished").status == "lost"
        assert spec.lock.holder() == claim_holder(alive)
    finally:
        spec.lock.clear()


def test_a_lock_taken_before_locks_named_their_holder_is_freed_with_its_lost_claim():
    spec = job_spec("analytics_hourly")
    make_running_period(spec.name, "2026-11-25T09", task_id="vanished", consumer=DEAD)
    HUEY.lock_task(f"jobs.{spec.name}").acquire()  # huey's own lock ("1"), as older code took
    task_runs_reap()
    assert not spec.lock.is_locked()
