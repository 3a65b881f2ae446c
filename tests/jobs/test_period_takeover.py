"""A periodic run that stalls past the dead-after time is declared lost, and its next attempt
takes the period over. When the stalled run wakes up and finishes, the period still has one
run: the stalled one's outcome is fenced off (the claim's `runs` moved on), an atomic job's
writes are rolled back, its attempt reads `canceled` with the reason, and it leaves the job's
lock to whoever holds it now."""

import threading

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from apps.jobs import periodic
from apps.jobs.adapter import task_rebuild
from apps.jobs.models import PeriodicJobState, PeriodicRun, TaskAttempt, TaskRun
from apps.jobs.periodic import job_spec
from apps.jobs.reaper import _periodic_run_lost
from apps.jobs.recorder import recorder

PERIOD = "2026-11-25T09"


def reaper_then_attempt_two(spec, task_id: str) -> None:
    """Elsewhere (its own connection): the reaper declares attempt 1 lost, and its re-enqueued
    copy runs on another consumer."""
    try:
        _periodic_run_lost(spec.name, task_id)
        HUEY.enqueue(
            task_rebuild(
                name=spec.task_name, args=[], kwargs={"period": PERIOD}, task_id=task_id, attempt=2
            )
        )
    finally:
        connection.close()


def lost_elsewhere(spec) -> None:
    """Elsewhere, while attempt 1 is held here: the reaper declares it lost, and attempt 2
    runs the period to its end."""
    claim = PeriodicRun.objects.get(job=spec.name, period_key=PERIOD)
    other = threading.Thread(target=reaper_then_attempt_two, args=(spec, claim.task_id))
    other.start()
    other.join()


def period_run_by_attempt_two(spec, first) -> None:
    """The period has attempt 2's outcome, and attempt 1 stepped aside."""
    run = PeriodicRun.objects.get(job=spec.name, period_key=PERIOD)
    assert (run.status, run.result, run.runs) == ("succeeded", {"attempt": 2}, 2)
    attempts = dict(TaskAttempt.objects.filter(task_id=first.id).values_list("number", "state"))
    assert attempts == {1: "canceled", 2: "complete"}


def taken_over_while_stalled(spec) -> None:
    """What happens while attempt 1 is frozen in its body: the reaper declares it lost, attempt
    2 takes the period over and runs to its end, and a run of the job's next period takes the
    job's lock."""
    lost_elsewhere(spec)
    spec.lock.acquire("the next period's run")


@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "batched"])
@pytest.mark.django_db(transaction=True)
def test_a_run_that_wakes_up_after_its_period_was_taken_over_does_not_count_twice(
    monkeypatch, atomic
):
    spec = job_spec("analytics_hourly")
    monkeypatch.setattr(spec, "atomic", atomic)
    calls = []

    def body(run):
        calls.append(run)
        call = len(calls)
        if call == 1:  # attempt 1 stalls here
            taken_over_while_stalled(spec)
        PeriodicJobState.objects.create(job=f"written by call {call}")
        return {"call": call}

    monkeypatch.setattr(spec, "body", body)
    try:
        first = spec.task(period=PERIOD)
        # The woken run left the lock to its holder: a third run still finds it taken.
        assert spec.lock.is_locked()
    finally:
        spec.lock.clear()
    recorder.flush()

    run = PeriodicRun.objects.get(job=spec.name, period_key=PERIOD)
    assert (run.status, run.result, run.runs) == ("succeeded", {"call": 2}, 2)
    written = set(PeriodicJobState.objects.values_list("job", flat=True))
    # The atomic job's stalled run wrote nothing; a batched job's (idempotent) writes stay.
    expected = {"written by call 2"} | (set() if atomic else {"written by call 1"})
    assert written == expected
    attempts = dict(TaskAttempt.objects.filter(task_id=first.id).values_list("number", "state"))
    assert attempts == {1: "canceled", 2: "complete"}
    note = TaskRun.objects.get(task_id=first.id).note
    assert note.startswith("attempt 1 of analytics_hourly") and "taken over while it ran" in note
    assert ("writes rolled back" if atomic else "outcome discarded") in note


@pytest.mark.django_db(transaction=True)
def test_a_run_that_wakes_up_and_fails_after_the_takeover_leaves_the_owners_outcome_and_lock(
    monkeypatch,
):
    spec = job_spec("analytics_hourly")
    calls = []

    def body(run):
        calls.append(run)
        if len(calls) == 1:
            taken_over_while_stalled(spec)
            raise RuntimeError("woke up to a dead connection")
        return {"call": len(calls)}

    monkeypatch.setattr(spec, "body", body)
    try:
        spec.task(period=PERIOD)
        assert spec.lock.is_locked()  # the next period's run keeps the lock
    finally:
        spec.lock.clear()
    run = PeriodicRun.objects.get(job=spec.name, period_key=PERIOD)
    # The failure is not written over the owner's success.
    assert (run.status, run.result, run.runs, run.error) == ("succeeded", {"call": 2}, 2, "")


@pytest.mark.django_db(transaction=True)
def test_a_run_declared_lost_while_it_waited_for_the_lock_leaves_it_free(monkeypatch):
    """Attempt 1 has claimed its period and waits for the job's lock when its consumer is
    declared dead (a heartbeat come late): the reaper clears the lock and attempt 2 runs the
    period to its end. Attempt 1 then gets the lock; it must give it back and step aside, or
    every later run of the job waits on it for ever (a kill test saw every period after it
    fail `locked`)."""
    spec = job_spec("analytics_hourly")
    acquire, waits = periodic.claim_lock_take, []

    def late_acquire(lock, holder):
        waits.append(holder)
        if len(waits) == 1:  # attempt 1, still waiting: elsewhere, the reaper and attempt 2
            lost_elsewhere(spec)
        return acquire(lock, holder)

    monkeypatch.setattr(periodic, "claim_lock_take", late_acquire)
    monkeypatch.setattr(spec, "body", lambda run: {"attempt": len(waits)})
    first = spec.task(period=PERIOD)
    recorder.flush()
    try:
        assert not spec.lock.is_locked()  # the job's next period can run
    finally:
        spec.lock.clear()
    period_run_by_attempt_two(spec, first)
    assert "declared lost while it waited" in TaskRun.objects.get(task_id=first.id).note


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_claim_was_lost_as_it_took_the_lock_never_frees_another_runs_lock(
    monkeypatch,
):
    """Attempt 1 takes the job's lock just as the reaper declares its claim lost (freeing the
    lock that claim held), attempt 2 runs the period, and a run of the next period takes the
    lock: attempt 1 then reads its claim, steps aside and lets its own hold go, which must not
    free the next period's run's lock (huey's lock, named by no holder, was freed by anyone's
    release: two runs of the job could overlap)."""
    spec = job_spec("analytics_hourly")
    acquire, takes = periodic.claim_lock_take, []

    def acquire_then_lose_the_claim(lock, holder):
        taken = acquire(lock, holder)
        takes.append(holder)
        if len(takes) == 1:  # attempt 1 holds the lock: elsewhere, the reaper and attempt 2
            lost_elsewhere(spec)
            spec.lock.acquire("the next period's run")
        return taken

    monkeypatch.setattr(periodic, "claim_lock_take", acquire_then_lose_the_claim)
    monkeypatch.setattr(spec, "body", lambda run: {"attempt": len(takes)})
    first = spec.task(period=PERIOD)
    recorder.flush()
    try:
        assert spec.lock.holder() == "the next period's run"
    finally:
        spec.lock.clear()
    period_run_by_attempt_two(spec, first)
