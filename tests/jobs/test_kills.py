"""SIGKILL a real consumer at random moments while batches run, and start another each time.

Each batch is 200 idempotent canaries (each counts its own executions), a few email deliveries
and a few periodic-job periods. On Redis, kills come in three kinds, in turn: a plain SIGKILL;
a stall (SIGSTOP past the dead-after time, a reaper pass that drops the stalled consumer,
SIGCONT so it takes tasks again, then SIGKILL); and a broker restart without persistence (the
consumer frozen, Redis restarted empty, then SIGKILL). After the kills, one reaper pass must
leave nothing of the killed consumers running or registered, the reconciliation finds what
the restarts dropped, the survivors finish everything (0 tasks lost), a canary runs again only
as a later attempt (after a loss), and the product's own tasks never take effect twice (one
email per recipient, none left `sending`, one successful run per period). `make test` kills 5
times (6 on the embedded default); `make soak` SOAK_KILLS times.
"""

import os
import random
import signal
import time
import uuid

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.jobs.adapter import counter_add, inflight_consumers, inflight_tasks
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.periodic import job_spec
from apps.jobs.reaper import task_runs_reap
from apps.jobs.reconcile import task_runs_reconcile
from apps.jobs.services import periodic_job_enqueue
from apps.jobs.tasks import jobs_canary_task
from apps.mail.models import OutboundEmail
from apps.mail.services import outbox_sweep, send_email
from tests.conftest import load_shipped_templates, restart_redis_empty, subprocess_env, wait_until
from tests.servers import PROFILE

BATCH = 200
EMAILS, PERIODS = 3, 1  # one period a batch: a job's runs take its lock one at a time
DEAD_AFTER = 2.0
ENV = {
    "JOBS_HEARTBEAT_SECONDS": "0.5",
    "JOBS_CONSUMER_DEAD_AFTER_SECONDS": str(DEAD_AFTER),
    # A consumer paused inside a transaction holds row locks the reaper pass must take.
    "DATABASE_IDLE_TRANSACTION_SECONDS": "3",
}
CONTEXT = {
    "name": "Ada",
    "organization_name": "Acme",
    "month": "November 2026",
    "used": "8,000",
    "limit": "10,000",
    "remaining": "2,000",
    "percent": "80",
    "upgrade_url": "https://x.example/",
}
KILLS = int(os.environ.get("SOAK_KILLS") or (5 if PROFILE == "production" else 6))
# Stalls and restarts on Redis only: SqliteHuey's file survives any restart, and a consumer
# frozen mid-transaction holds its SQLite lock, so nothing else can write until it dies.
KINDS = ("kill", "stall", "restart") if PROFILE == "production" else ("kill",)
pytestmark = [pytest.mark.soak, pytest.mark.embedded]


def enqueue_batch(run: str, k: int, rng: random.Random) -> tuple[list, list, list]:
    canaries = [
        jobs_canary_task(seconds=rng.choice([0, 0, 0.002, 0.01]), token=f"{run}-{k}-{i}")
        for i in range(BATCH)
    ]
    emails = [
        send_email(
            template_key="quota_alert_80",
            to=f"kill-{run}-{k}-{i}@example.com",
            context=CONTEXT,
            dedupe_key=f"kill:{run}:{k}:{i}",
        )
        for i in range(EMAILS)
    ]
    periods = [
        f"2026-01-{1 + k % 28:02d}T{(k // 28 * PERIODS + i) % 24:02d}" for i in range(PERIODS)
    ]
    for period in periods:
        periodic_job_enqueue(
            name="analytics_hourly", requested_by="kill test", period_key=period, force=False
        )
    return canaries, emails, periods


def test_sigkilled_consumers_lose_nothing_and_the_products_tasks_never_run_twice(
    huey_consumer, settings
):
    settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS = DEAD_AFTER  # for the reaper pass run here
    settings.JOBS_RECONCILE_GRACE_SECONDS = 0
    seed = int(os.environ.get("KILL_SEED") or time.time())
    rng, run = random.Random(seed), uuid.uuid4().hex[:8]
    print(f"kill test: {KILLS} kills ({', '.join(KINDS)} in turn), seed {seed}")
    load_shipped_templates()
    env = subprocess_env(**ENV)
    consumer, killed = huey_consumer("--workers", "4", env=env), []
    canaries, emails, periods = [], [], []
    # runs per (canary task id, attempt), counted in Redis before each restart emptied them
    counted: dict[tuple[str, int], int] = {}
    for k in range(KILLS):
        batch = enqueue_batch(run, k, rng)
        canaries += batch[0]
        emails += batch[1]
        periods += batch[2]
        kind = KINDS[k % len(KINDS)]
        # Somewhere in the batch (dequeue, run, write...); a restart early, while it queues.
        time.sleep(rng.uniform(0.01, 0.1) if kind == "restart" else rng.uniform(0.05, 0.8))
        if kind == "stall":  # reaped while stalled; it resumes, takes tasks, then dies
            consumer.process.send_signal(signal.SIGSTOP)
            time.sleep(DEAD_AFTER + 0.5)
            task_runs_reap()
            consumer.process.send_signal(signal.SIGCONT)
            time.sleep(rng.uniform(0.1, 0.5))
        elif kind == "restart":  # frozen (no count in flight), then Redis comes back empty
            consumer.process.send_signal(signal.SIGSTOP)
            for task in canaries:
                for attempt, runs in canary_runs(task).items():
                    counted[task.id, attempt] = counted.get((task.id, attempt), 0) + runs
            restart_redis_empty(settings.REDIS_URL)
        consumer.stop(signal.SIGKILL)
        killed.append(consumer)
        consumer = huey_consumer("--workers", "4", env=env)

    time.sleep(DEAD_AFTER + 0.5)  # the last killed consumer's heartbeat goes stale
    names = killed_names(killed)
    reaped_at = timezone.now()
    task_runs_reap()  # one reaper pass
    assert all(inflight_tasks(name) == [] for name in names), "a killed consumer still holds"
    for model in (TaskRun, TaskAttempt):
        running = model.objects.filter(consumer__in=names, state="executing")
        assert not running.exists(), list(running.values("task_id", "state", "consumer"))
    found = task_runs_reconcile()  # what the restarts dropped from the queue
    swept = outbox_sweep(older_than_seconds=0)  # emails whose delivery task was dropped
    print(f"kill test: reconciliation found {found.lost} lost, {swept} emails queued again")

    ids = [c.id for c in canaries]
    runs = TaskRun.objects.filter(task_id__in=ids)
    # Finished: complete, or finished on a killed consumer before its outcome was written.
    ended = lambda: runs.filter(state__in=["complete", "unrecorded"]).count()  # noqa: E731
    unfinished = lambda: list(  # noqa: E731
        runs.exclude(state__in=["complete", "unrecorded"]).values_list("state", "attempt", "note")
    )
    counts = lambda: runs.values("state").annotate(n=Count("id"))  # noqa: E731
    wait_until(
        lambda: ended() == len(ids),
        timeout=120,
        interval=0.5,
        message=lambda: f"{counts()}: {unfinished()[:10]}",
    )
    again = 0
    for task in canaries:
        ran = canary_runs(task)
        for (task_id, attempt), runs in counted.items():
            if task_id == task.id:
                ran[attempt] = ran.get(attempt, 0) + runs
        # It ran again only as a later attempt (after a loss: reaper, reconciliation), each
        # attempt at most once. (The history may not show the last attempt: a consumer killed
        # with a Redis restart takes its unwritten events and its register entry with it.)
        assert ran and max(ran.values()) == 1, (task.id, ran)
        again += sum(ran.values()) - 1
    print(f"kill test: {again} re-runs after losses among {len(ids)} canaries")

    email_tasks = TaskRun.objects.filter(name="apps.mail.tasks.email_deliver_task")
    ours = OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])
    waiting = ours.filter(status__in=["queued", "sending"])
    wait_until(
        lambda: not waiting.exists(),
        timeout=90,
        interval=0.5,
        message=lambda: str(list(waiting.values_list("pk", "status"))),
    )
    outbox = settings.EMAIL_OUTBOX_DIR
    files = [p.read_bytes() for p in outbox.glob("*.eml")] if outbox.exists() else []
    for email in ours:
        sent = sum(email.to.encode() in body for body in files)
        assert sent <= 1, f"{email.to} received {sent} copies"
        if email.status != "sent":  # interrupted mid-send: unknown, its task lost, never re-sent
            task = email_tasks.filter(task_id=email.claim_id).first()  # the batch that claimed it
            assert email.status == "unknown", (email.pk, email.status)
            assert task is not None and task.state == "lost" and task.attempt == 1, email.pk

    jobs = PeriodicRun.objects.filter(job="analytics_hourly", period_key__in=periods)
    # Runs of several periods take the job's lock in turn (each waits JOBS_LOCK_WAIT_SECONDS);
    # one held by a killed run stays held until a reaper pass frees it (once a minute), so a
    # run may retry `retry_delay` later, up to `retries` times.
    hourly = job_spec("analytics_hourly").task
    patience = hourly.retries * hourly.retry_delay + 60 + 60
    wait_until(
        lambda: jobs.filter(status="succeeded").count() == len(periods),
        timeout=patience,
        interval=0.5,
        message=lambda: str(
            [
                (
                    j.period_key,
                    j.status,
                    list(
                        TaskAttempt.objects.filter(task_id=j.task_id).values_list("state", "error")
                    ),
                    list(TaskRun.objects.filter(task_id=j.task_id).values_list("state", "note")),
                )
                for j in jobs
                if j.status != "succeeded"
            ]
        ),
    )
    for job in jobs:  # the body ran again only after an attempt that was lost or failed
        tries = dict(TaskAttempt.objects.filter(task_id=job.task_id).values_list("number", "state"))
        states = list(tries.values())
        assert sum(state in ("complete", "unrecorded") for state in states) <= 1, tries
        # A stalled attempt declared lost that woke up after the takeover reads `canceled`
        # (its outcome fenced off; the roll-up's writes rolled back).
        taken_over = sum(state in ("lost", "error", "canceled") for state in states)
        # An attempt that started on a consumer killed with a Redis restart has no row: its
        # events died unwritten, and reconciliation found it missing from the broker and
        # enqueued the next number. Only an attempt before the last can be such a gap.
        unwritten = set(range(1, max(tries, default=0) + 1)) - tries.keys()
        assert job.runs - 1 <= taken_over + len(unwritten), (tries, job.runs)
    # Nothing enqueued before the reaper pass is left waiting or running. A run may still read
    # `enqueued` for a while: a consumer put it back in the schedule (a retry 60 s later, its
    # lock held by a killed run) and was killed before writing that; it runs when it is due.
    stuck = TaskRun.objects.filter(
        state__in=["enqueued", "executing"], created_at__lt=reaped_at
    ).exclude(periodic_job__in=["reaper", "reconciliation", "outbox_sweep", "ops_alerts"])
    rows = lambda: list(stuck.values_list("task_id", "name", "state", "attempt"))  # noqa: E731
    wait_until(lambda: not stuck.exists(), timeout=90, interval=0.5, message=rows)
    unknown = ours.filter(status="unknown").count()
    print(
        f"kill test: {KILLS} kills, {len(ids)} canaries: 0 lost, 0 run twice as one attempt; "
        f"{len(emails)} emails: 0 sent twice, 0 left sending, {unknown} unknown (in flight); "
        f"{len(periods)} periods: each succeeded once"
    )


def canary_runs(task) -> dict[int, int]:
    """How many times each attempt of a canary ran (counted in the broker)."""
    token = task.task.kwargs["token"]
    counts = {
        attempt: counter_add(f"jobs.canary.{token}.attempt.{attempt}", 0)
        for attempt in range(1, settings.JOBS_LOST_MAX_ATTEMPTS + 2)
    }
    return {attempt: runs for attempt, runs in counts.items() if runs}


def killed_names(killed: list) -> list[str]:
    """The killed consumers' names (host:pid:nonce) as they registered or beat."""
    pids = [f":{c.process.pid}:" for c in killed]
    beats = WorkerHeartbeat.objects.values_list("consumer", flat=True)
    known = set(inflight_consumers()) | set(beats)
    return [name for name in known if any(pid in name for pid in pids)]
