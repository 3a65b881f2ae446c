"""The reaper, in-process: what it tells the apps above through `run_lost`."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.jobs.adapter import task_name
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.services import task_runs_reap
from apps.jobs.signals import run_lost
from apps.jobs.tasks import jobs_canary_task
from apps.mail.tasks import email_deliver_task

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, signal, **kwargs):
        calls.append(kwargs)

    run_lost.connect(receiver)
    yield calls
    run_lost.disconnect(receiver)


def dead_consumer(name: str = "gone:1") -> str:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    WorkerHeartbeat.objects.create(consumer=name, host="gone", pid=1, last_seen=long_ago)
    return name


def test_a_run_on_a_dead_consumer_is_announced_once_with_its_arguments(heard):
    consumer = dead_consumer()
    for task_id, task in (("mail-1", email_deliver_task), ("canary-1", jobs_canary_task)):
        TaskRun.objects.create(
            task_id=task_id, name=task_name(task), state="executing", consumer=consumer,
            args=[42], kwargs={"k": "v"}, started_at=timezone.now() - dt.timedelta(hours=1),
        )  # fmt: skip
    task_runs_reap()
    task_runs_reap()  # a second pass finds nothing new to announce
    by_id = {call["task_id"]: call for call in heard}
    assert len(heard) == 2
    assert by_id["mail-1"] == {
        "task_name": "apps.mail.tasks.email_deliver_task", "task_id": "mail-1", "attempt": 1,
        "args": [42], "kwargs": {"k": "v"}, "consumer": consumer, "requeued": False,
    }  # fmt: skip
    assert by_id["canary-1"]["requeued"] is True  # declared idempotent: enqueued again
    assert set(TaskRun.objects.filter(task_id__in=by_id).values_list("state", flat=True)) == {
        "lost"
    }
