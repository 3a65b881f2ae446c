"""The lost-task reaper, after Oban's Lifeline and Sidekiq's super_fetch recovery.

Every consumer registers in the broker what it has taken (apps/jobs/adapter). When a consumer's
heartbeat stops, whatever is still registered to it never got its outcome written: each such
attempt is marked `lost` in the history at once, announced through `signals.run_lost`, and
removed from the register atomically with, for a task declared `idempotent=True`, its
re-enqueue as the next attempt at the head of the queue. Several reapers may run at once: the
removal is atomic, so one of them re-enqueues, exactly once. A task lost JOBS_LOST_MAX_ATTEMPTS
times is not re-run again (a task that kills its consumer must not kill them all).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .adapter import (
    Taken,
    attempt_of,
    consumer_name,
    describe,
    inflight_consumers,
    inflight_forget,
    inflight_rescue,
    inflight_tasks,
    next_attempt,
)
from .lost import may_requeue, run_lose, what_next
from .models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from .period_claims import claim_holder
from .periodic import REGISTRY
from .recorder import record_unfinished
from .signals import run_lost

logger = logging.getLogger("apps.jobs")
# A run in one of these states at the attempt still registered has its outcome written:
# its consumer died between writing it and releasing the entry.
WRITTEN = {
    TaskRun.State.COMPLETE,
    TaskRun.State.ERROR,
    TaskRun.State.RETRYING,
    TaskRun.State.REVOKED,
    TaskRun.State.LOCKED,
    TaskRun.State.EXPIRED,
    TaskRun.State.CANCELED,
    TaskRun.State.TIMEOUT,
    TaskRun.State.RATE_LIMITED,
}


@dataclass
class ReapResult:
    lost: int = 0
    requeued: int = 0
    released: int = 0  # their outcome was written: only the release was missing
    unrecorded: int = 0  # they finished, but their outcome was never written


def dead_consumers(*, now: dt.datetime | None = None) -> list[str]:
    """Consumers holding an in-flight register whose heartbeat stopped (or never came)."""
    registered = inflight_consumers()
    if not registered:
        return []
    cutoff = (now or timezone.now()) - dt.timedelta(
        seconds=settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS
    )
    beats = {b.consumer: b for b in WorkerHeartbeat.objects.filter(consumer__in=registered)}
    dead, me = [], consumer_name()
    for consumer, since in registered.items():
        if consumer == me:  # the process running this is alive, whatever its heartbeat row
            continue  # says (late under load): its tasks are running
        beat = beats.get(consumer)
        if beat is None:
            alive = since >= cutoff.timestamp()  # registered moments ago, not beating yet
        else:
            alive = beat.stopped_at is None and beat.last_seen >= cutoff
        if not alive:
            dead.append(consumer)
    return dead


def task_runs_reap(*, now: dt.datetime | None = None) -> ReapResult:
    """Mark what dead consumers held `lost`; re-enqueue the idempotent ones, once."""
    now = now or timezone.now()
    result = ReapResult()
    for consumer in dead_consumers(now=now):
        for taken in inflight_tasks(consumer):
            _reap(consumer, taken, result)
        inflight_forget(consumer)
    _close_attempts_of_dead_consumers(now)
    if result.lost or result.released or result.unrecorded:
        logger.warning(
            "reaper: %s runs lost, %s re-enqueued; %s finished unrecorded, %s released",
            result.lost,
            result.requeued,
            result.unrecorded,
            result.released,
        )
    return result


def _reap(consumer: str, taken: Taken, result: ReapResult) -> None:
    task = taken.task
    if task is None:  # unreadable: its task class is gone from the code; logged by the adapter
        result.lost += inflight_rescue(consumer, taken)
        return
    attempt = attempt_of(task)
    run = TaskRun.objects.filter(task_id=task.id).only("attempt", "state").first()
    if run is not None and (
        run.attempt > attempt or (run.attempt == attempt and run.state in WRITTEN)
    ):
        result.released += inflight_rescue(consumer, taken)
        return
    if taken.finished:  # it ran to its end; the batch holding its outcome died unwritten
        record_unfinished(
            task=task,
            consumer=consumer,
            state=TaskRun.State.UNRECORDED,
            note=f"finished on consumer {consumer}, which died before writing the outcome",
        )
        result.unrecorded += inflight_rescue(consumer, taken)
        return
    name, args, kwargs = describe(task)
    requeue = may_requeue(name, attempt)
    with transaction.atomic():
        note = _note(consumer, name, attempt, requeue)
        record_unfinished(task=task, consumer=consumer, state=TaskRun.State.LOST, note=note)
        _periodic_run_lost(getattr(type(task), "job_name", ""), task.id)
        run_lost.send(
            sender=TaskRun,
            task_name=name,
            task_id=task.id,
            attempt=attempt,
            args=args,
            kwargs=kwargs,
            consumer=consumer,
            requeued=bool(requeue),
        )
    # Written and announced: now out of the register (and back in the queue), atomically.
    if inflight_rescue(consumer, taken, requeue=next_attempt(task) if requeue else None):
        result.lost += 1
        result.requeued += bool(requeue)


def _note(consumer: str, name: str, attempt: int, requeue: bool) -> str:
    said = f"consumer {consumer} stopped before attempt {attempt} finished; "
    return said + what_next(name, attempt, requeue)


def _periodic_run_lost(job: str, task_id: str) -> None:
    """The period `task_id` claimed is lost, and the job's lock freed if that claim holds it
    (not if another run of the job holds it: a live run keeps its lock)."""
    if not job:
        return
    running_status = PeriodicRun.Status.RUNNING
    running = PeriodicRun.objects.filter(job=job, task_id=task_id, status=running_status)
    for claim in running.only("pk", "job", "period_key", "task_id", "runs"):
        lost = PeriodicRun.objects.filter(pk=claim.pk, runs=claim.runs, status=running_status)
        if lost.update(status=PeriodicRun.Status.LOST, finished_at=timezone.now()):
            REGISTRY[job].lock.release_dead(claim_holder(claim))


def _close_attempts_of_dead_consumers(now: dt.datetime) -> None:
    """Runs shown executing, and periods shown running, on a dead consumer that holds nothing
    any more: it put the task back for a retry and died before writing the outcome, or the
    broker restarted empty and took its register with it. Each run is lost like a registered
    one: announced (an email delivery's rows turn `unknown`), an idempotent task enqueued
    again, once; each period is `lost`, free for its next attempt or a forced run."""
    cutoff = now - dt.timedelta(seconds=settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS)
    dead = WorkerHeartbeat.objects.filter(Q(last_seen__lt=cutoff) | Q(stopped_at__isnull=False))
    # Never this process's own consumer, however late its heartbeat (as dead_consumers).
    dead = dead.exclude(consumer=consumer_name())
    names = list(dead.values_list("consumer", flat=True)[:1000])
    if not names:
        return
    said = "its consumer died before writing the outcome"
    # A period whose run left no trace but its row (the register went with a broker restart,
    # the history events died unwritten) would read `running` for ever: no copy could take it
    # over, not even an operator's forced run.
    stranded = PeriodicRun.objects.filter(status=PeriodicRun.Status.RUNNING, consumer__in=names)
    for job, task_id in stranded.values_list("job", "task_id")[:1000]:
        _periodic_run_lost(job, task_id)
    TaskAttempt.objects.filter(state=TaskRun.State.EXECUTING, consumer__in=names).update(
        state=TaskRun.State.LOST, finished_at=now, error=said
    )
    running = TaskRun.objects.filter(state=TaskRun.State.EXECUTING, consumer__in=names)
    fields = ("task_id", "name", "args", "kwargs", "attempt", "consumer", "periodic_job")
    for run in running.only(*fields)[:1000]:
        why = f"consumer {run.consumer} stopped before attempt {run.attempt} finished"
        if run_lose(run=run, seen={"state": TaskRun.State.EXECUTING}, why=why, now=now) is None:
            continue
        _periodic_run_lost(run.periodic_job, run.task_id)
        logger.warning("reaper: run %s (%s) lost, %s", run.task_id, run.name, said)
