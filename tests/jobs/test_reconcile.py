"""The reconciliation in-process, on both brokers: what the history shows waiting but the broker
no longer holds is lost (idempotent tasks enqueued again, once); what the broker holds, in its
queue, its schedule or a consumer's register, is left alone. The real-process cases (a Redis
restarted empty under running consumers) are in test_broker_loss.py.
"""

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.jobs.adapter import broker_task_ids
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.jobs.reconcile import task_runs_reconcile
from apps.jobs.recorder import recorder
from apps.jobs.signals import run_lost
from apps.jobs.tasks import jobs_canary_task
from apps.mail.tasks import email_deliver_task

pytestmark = [pytest.mark.embedded, pytest.mark.real_queue, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def broker(settings):
    settings.JOBS_RECONCILE_GRACE_SECONDS = 0
    HUEY.flush()
    yield
    recorder.flush()  # what the writer thread still holds belongs to this test's rows
    HUEY.flush()


def waiting(wrapper, **kwargs):
    """Enqueue through huey (history written at once) and return the task."""
    task = wrapper.s(**kwargs)
    HUEY.enqueue(task)
    recorder.flush()
    return task


def test_runs_the_broker_lost_are_lost_and_idempotent_ones_enqueued_again_once():
    kept = waiting(jobs_canary_task, token="kept")
    gone = waiting(jobs_canary_task, token="gone")
    email = waiting(email_deliver_task, email_ids=[1])  # not idempotent
    HUEY.storage.flush_queue()
    HUEY.enqueue(kept)  # still (again) in the queue
    result = task_runs_reconcile()
    assert (result.lost, result.requeued) == (2, 1)
    assert set(result.lost_ids) == {gone.id, email.id}
    assert TaskRun.objects.get(task_id=email.id).state == "lost"
    assert "not declared idempotent" in TaskRun.objects.get(task_id=email.id).note
    assert gone.id in broker_task_ids() and email.id not in broker_task_ids()
    assert task_runs_reconcile().lost == 0  # enqueued again once, not per pass
    assert sum(1 for _ in HUEY.storage.waiting()) == 2


def test_a_lost_run_enqueued_again_that_the_broker_drops_in_turn_is_enqueued_again():
    """The reaper's word 'enqueued again' is all the history says of the next attempt (its
    enqueue event may die with the consumer that ran the reaper): a broker restart that drops
    it must not leave the run lost for good."""
    gone = waiting(jobs_canary_task, token="twice")
    email = waiting(email_deliver_task, email_ids=[2])
    HUEY.storage.flush_queue()
    assert task_runs_reconcile().requeued == 1
    # Attempt 2's enqueue event dies with the process (the writer thread must not land it in
    # the middle of the next pass either, which then rightly leaves a run that moved alone).
    recorder.discard()
    TaskRun.objects.filter(task_id=gone.id).update(updated_at=timezone.now())  # no event since
    HUEY.storage.flush_queue()  # a second restart drops attempt 2 before it starts
    assert gone.id not in broker_task_ids()
    result = task_runs_reconcile()
    assert (result.lost_ids, result.requeued) == ([gone.id], 1)  # the email stays lost
    assert gone.id in broker_task_ids()
    run = TaskRun.objects.get(task_id=gone.id)
    assert (run.state, run.attempt) == ("lost", 2) and "enqueued again as attempt 3" in run.note
    assert task_runs_reconcile().lost == 0  # once, not per pass
    assert sum(1 for _ in HUEY.storage.waiting()) == 1
    assert TaskRun.objects.get(task_id=email.id).state == "lost"


def test_scheduled_and_taken_tasks_are_in_the_broker():
    later = jobs_canary_task.schedule(kwargs={"token": "later"}, delay=3600)
    taken = waiting(jobs_canary_task, token="taken")
    HUEY.storage.take("some-consumer")  # now in that consumer's register
    recorder.flush()
    assert {later.id, taken.id} <= broker_task_ids()
    assert task_runs_reconcile().lost == 0


def test_recent_runs_wait_out_the_grace_period(settings):
    settings.JOBS_RECONCILE_GRACE_SECONDS = 600
    waiting(jobs_canary_task, token="fresh")
    HUEY.storage.flush_queue()
    assert task_runs_reconcile().checked == 0


def test_a_dead_consumers_run_missing_from_its_register_is_announced_and_requeued():
    """The history fallback (the register vanished with a broker restart) says `run_lost`,
    so a delivery's `sending` emails are settled, and enqueues an idempotent task again."""
    heard = []
    run_lost.connect(receiver := lambda sender, **kw: heard.append(kw))
    long_ago = timezone.now() - dt.timedelta(hours=1)
    WorkerHeartbeat.objects.create(consumer="gone:1:x", host="gone", pid=1, last_seen=long_ago)
    canary, delivery = jobs_canary_task.s(token="c"), email_deliver_task.s(email_ids=[7])
    for task in (canary, delivery):
        TaskRun.objects.create(
            task_id=task.id,
            name=_name(task),
            kwargs=task.kwargs,
            state="executing",
            consumer="gone:1:x",
        )
    try:
        task_runs_reap()
        task_runs_reap()  # a second pass announces nothing again
    finally:
        run_lost.disconnect(receiver)
    assert sorted(h["task_id"] for h in heard) == sorted([canary.id, delivery.id])
    assert {h["task_id"]: h["requeued"] for h in heard} == {canary.id: True, delivery.id: False}
    assert TaskRun.objects.get(task_id=delivery.id).state == "lost"
    assert canary.id in broker_task_ids() and delivery.id not in broker_task_ids()


def _name(task) -> str:
    from apps.jobs.adapter import task_name

    return task_name(task)
