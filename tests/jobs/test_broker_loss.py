"""Registration cannot be lost, and what the broker loses is found: real consumers, SIGSTOP,
SIGKILL and a Redis restarted empty (as one without persistence comes back).

- A consumer the reaper dropped while it was stalled registers again with its next take, so
  a later kill strands nothing.
- After a Redis restart, consumers register again; the queued tasks that vanished are found by
  the reconciliation: lost, the idempotent ones enqueued again, one alert naming the restart.
- A delivery whose register entry vanished with the restart is still settled when its
  consumer dies: one email `unknown` at most, the others of its chunk queued again.
"""

import datetime as dt
import signal
import time
import uuid

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.jobs.adapter import counter_add, inflight_consumers
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.jobs.reconcile import task_runs_reconcile
from apps.jobs.tasks import jobs_canary_task
from apps.mail.models import OutboundEmail
from apps.mail.services import outbox_sweep, send_email_many
from tests.conftest import restart_redis_empty, subprocess_env, wait_until
from tests.mail.outbox_cases import ALERT_CONTEXT

pytestmark = pytest.mark.django_db(transaction=True)
DEAD_AFTER = 2.0
# Long enough to be killed mid-run (the kill comes within a second of the run showing as
# executing), short enough not to hold the worker: the attempt enqueued again runs it whole.
KILLED_RUN_SECONDS = 8
ENV = {"JOBS_HEARTBEAT_SECONDS": "0.5", "JOBS_CONSUMER_DEAD_AFTER_SECONDS": str(DEAD_AFTER)}


@pytest.fixture(autouse=True)
def _dead_after(settings):
    settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS = DEAD_AFTER  # for the reaper passes run here


def name_of(consumer) -> str:
    beats = WorkerHeartbeat.objects.filter(pid=consumer.process.pid)
    return wait_until(lambda: beats.values_list("consumer", flat=True).first(), timeout=30)


def canaries(run: str, count: int, seconds: float = 0) -> list:
    return [jobs_canary_task(seconds=seconds, token=f"{run}-{i}") for i in range(count)]


def runs_of(task) -> int:
    return counter_add(f"jobs.canary.{task.task.kwargs['token']}", 0)


def states(tasks) -> dict[str, str]:
    rows = TaskRun.objects.filter(task_id__in=[t.id for t in tasks])
    return dict(rows.values_list("task_id", "state"))


def executing(tasks) -> bool:
    return set(states(tasks).values()) == {"executing"} and len(states(tasks)) == len(tasks)


def complete(tasks) -> bool:
    return list(states(tasks).values()).count("complete") == len(tasks)


def kill_and_recover(consumer, tasks: list, huey_consumer) -> None:
    """SIGKILL `consumer` while it runs `tasks`: one reaper pass loses and re-enqueues each,
    and a new consumer runs each once (they were killed before counting themselves)."""
    consumer.stop(signal.SIGKILL)
    time.sleep(DEAD_AFTER + 0.5)
    reaped = task_runs_reap()
    assert (reaped.lost, reaped.requeued) == (len(tasks), len(tasks))
    huey_consumer("--workers", "2", env=subprocess_env(**ENV))
    wait_until(lambda: complete(tasks), timeout=90, message=lambda: str(states(tasks)))
    assert [runs_of(t) for t in tasks] == [1] * len(tasks)


def test_a_consumer_reaped_while_stalled_registers_again_and_a_later_kill_strands_nothing(
    huey_consumer,
):
    consumer = huey_consumer("--workers", "2", env=subprocess_env(**ENV))
    name = name_of(consumer)
    jobs_canary_task(token=f"warm-{uuid.uuid4().hex}")  # it takes a task: registered
    wait_until(
        lambda: (
            name in inflight_consumers() or not TaskRun.objects.filter(state="enqueued").exists()
        )
    )

    consumer.process.send_signal(signal.SIGSTOP)  # stalled past dead-after: reaped
    time.sleep(DEAD_AFTER + 1)
    task_runs_reap()
    assert name not in inflight_consumers()

    run = uuid.uuid4().hex[:8]
    tasks = canaries(run, 2, seconds=KILLED_RUN_SECONDS)
    consumer.process.send_signal(signal.SIGCONT)
    wait_until(lambda: executing(tasks), timeout=30, message=lambda: str(states(tasks)))
    assert name in inflight_consumers(), "a consumer holding tasks is not registered"

    kill_and_recover(consumer, tasks, huey_consumer)


def test_after_redis_restarts_empty_the_lost_queue_is_found_and_consumers_register_again(
    huey_consumer, settings, templates
):
    settings.OPS_ALERT_RECIPIENTS = ["ops@summasaas.example"]
    settings.JOBS_RECONCILE_GRACE_SECONDS = 0
    run = uuid.uuid4().hex[:8]
    queued = canaries(f"{run}-q", 40)  # no consumer yet: they wait in Redis
    wait_until(lambda: TaskRun.objects.filter(task_id__in=[t.id for t in queued]).count() == 40)

    restart_redis_empty(settings.REDIS_URL)
    assert HUEY.pending_count() == 0  # the queue went with the restart
    found = task_runs_reconcile()
    assert (found.lost, found.requeued) == (40, 40)
    note = TaskRun.objects.get(task_id=queued[0].id).note
    assert "not in the broker (the broker restarted at" in note, note
    assert "without persistence (appendonly no)" in note and "enqueued again as attempt 2" in note
    assert task_runs_reconcile().lost == 0  # each run is lost once, enqueued again once
    alerts = OutboundEmail.objects.filter(dedupe_key__startswith="ops-alert:broker lost tasks:")
    assert alerts.count() == 1 and "restarted at" in alerts.get().context["summary"]

    consumer = huey_consumer("--workers", "2", env=subprocess_env(**ENV))
    wait_until(lambda: complete(queued), timeout=90, message=lambda: str(states(queued)))
    assert [runs_of(t) for t in queued] == [1] * 40

    restart_redis_empty(settings.REDIS_URL)  # again, under a running consumer
    tasks = canaries(f"{run}-k", 2, seconds=KILLED_RUN_SECONDS)
    wait_until(lambda: executing(tasks), timeout=60, message=lambda: str(states(tasks)))
    assert name_of(consumer) in inflight_consumers()
    kill_and_recover(consumer, tasks, huey_consumer)


def test_a_delivery_whose_register_entry_vanished_is_settled_when_its_consumer_dies(
    huey_consumer, smtp_sink, templates, settings
):
    sink, port = smtp_sink(delay=0.15)
    env = subprocess_env(**ENV, EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    consumer = huey_consumer("--workers", "1", env=env)
    addresses = [f"restart-{i}@example.com" for i in range(30)]
    send_email_many(
        template_key="quota_alert_80",
        recipients=[{"to": a, "context": ALERT_CONTEXT, "dedupe_key": a} for a in addresses],
    )
    wait_until(lambda: len(sink.messages) >= 5, timeout=60, message=consumer.output)
    restart_redis_empty(settings.REDIS_URL)  # the delivery's register entry is gone
    time.sleep(0.3)
    consumer.stop(signal.SIGKILL)
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(hours=1))
    task_runs_reap()

    emails = OutboundEmail.objects.filter(to__in=addresses)
    assert not emails.filter(status="sending").exists()
    assert emails.filter(status="unknown").count() <= 1
    received = [a for a in addresses if any(a.encode() in m for m in sink.messages)]
    assert set(emails.filter(status="sent").values_list("to", flat=True)) <= set(received)

    huey_consumer("--workers", "1", env=env)
    outbox_sweep(older_than_seconds=0)
    wait_until(lambda: not emails.filter(status__in=["queued", "sending"]).exists(), timeout=60)
    for address in addresses:
        copies = sum(address.encode() in m for m in sink.messages)
        status = emails.get(to=address).status
        assert copies == 1 or (status == "unknown" and copies <= 1), (address, copies, status)
