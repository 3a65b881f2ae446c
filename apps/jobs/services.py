"""Operator actions and housekeeping on tasks and periodic jobs."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from .adapter import task_class
from .exceptions import TaskRunStateError, UnknownTaskError
from .models import PeriodicJobState, PeriodicRun, TaskRun, WorkerHeartbeat
from .periodic import REGISTRY, job_spec
from .recorder import recorder
from .signals import run_lost

logger = logging.getLogger("apps.jobs")
FINISHED = [
    TaskRun.State.COMPLETE,
    TaskRun.State.ERROR,
    TaskRun.State.REVOKED,
    TaskRun.State.LOCKED,
    TaskRun.State.EXPIRED,
    TaskRun.State.INTERRUPTED,
    TaskRun.State.CANCELED,
    TaskRun.State.TIMEOUT,
    TaskRun.State.RATE_LIMITED,
    TaskRun.State.LOST,
]


def _task_class(name: str):
    try:
        return task_class(name)
    except UnknownTaskError as exc:
        raise TaskRunStateError(f"{exc} It cannot be re-run.") from exc


def _enqueue_copy(run: TaskRun, *, requested_by: str, note: str) -> TaskRun:
    """Enqueue the run's task again with its exact args (a new task id), linked to the old."""
    task = _task_class(run.name)(args=tuple(run.args), kwargs=dict(run.kwargs))
    copy = TaskRun.objects.create(
        task_id=task.id,
        name=run.name,
        queue=HUEY.name,
        args=run.args,
        kwargs=run.kwargs,
        retry_of=run.task_id,
        requested_by=requested_by,
        periodic_job=run.periodic_job,
        period_key=run.period_key,
        note=note,
        enqueued_at=timezone.now(),
    )
    transaction.on_commit(lambda: HUEY.enqueue(task))
    return copy


@transaction.atomic
def task_run_retry(*, run: TaskRun, requested_by: str) -> TaskRun:
    """Run a finished task again with exactly the same arguments; returns the new run."""
    if run.state not in FINISHED:
        raise TaskRunStateError(
            f"Task {run.task_id} is {run.state}; only finished runs can be retried. "
            "Revoke it first if it is stuck."
        )
    kwargs = dict(run.kwargs)
    if run.periodic_job:  # a periodic job's period is already claimed: a retry re-runs it
        kwargs.update(force=True, requested_by=requested_by)
        run = TaskRun(**{**_fields(run), "kwargs": kwargs})
    return _enqueue_copy(run, requested_by=requested_by, note=f"retry of {run.task_id}")


def _fields(run: TaskRun) -> dict:
    return {f.attname: getattr(run, f.attname) for f in TaskRun._meta.concrete_fields}


def task_run_revoke(*, run: TaskRun, requested_by: str) -> TaskRun:
    """Stop a queued or scheduled task from running (a running one finishes its attempt)."""
    if run.state in FINISHED:
        raise TaskRunStateError(f"Task {run.task_id} already finished ({run.state}).")
    HUEY.revoke_by_id(run.task_id)
    TaskRun.objects.filter(pk=run.pk).update(
        note=f"revoke requested by {requested_by}", requested_by=requested_by
    )
    run.refresh_from_db()
    return run


def periodic_job_enqueue(
    *, name: str, requested_by: str, period_key: str | None = None, force: bool = False
):
    """Hand a periodic job to the consumers now, for a period (default: the current one)."""
    spec = job_spec(name)
    if period_key:
        spec.parse_period(period_key)  # fail here, not in a consumer
    return spec.task(period=period_key, force=force, requested_by=requested_by)


def periodic_job_run(
    *,
    name: str,
    requested_by: str,
    period_key: str | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PeriodicRun | None:
    """Run a periodic job in this process, through huey (signals, history) and the same guard."""
    from .periodic import progress_sink

    spec = job_spec(name)
    if period_key:
        spec.parse_period(period_key)
    task = spec.task.s(period=period_key, force=force, requested_by=requested_by, retries=0)
    token = progress_sink.set(progress)
    try:
        HUEY.execute(task)
    finally:
        progress_sink.reset(token)
        recorder.flush()
    return PeriodicRun.objects.filter(job=name, task_id=task.id).first()


def periodic_job_pause(*, name: str, paused: bool, changed_by: str) -> PeriodicJobState:
    """Pause (or resume) a periodic job: scheduled runs of a paused job are skipped."""
    job_spec(name)
    state, _ = PeriodicJobState.objects.update_or_create(
        job=name,
        defaults={"paused": paused, "changed_by": changed_by, "changed_at": timezone.now()},
    )
    return state


@dataclass
class ReapResult:
    lost: int = 0
    requeued: int = 0


def dead_consumers(*, now: dt.datetime | None = None) -> list[str]:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS)
    return list(
        WorkerHeartbeat.objects.filter(
            Q(last_seen__lt=cutoff) | Q(stopped_at__isnull=False)
        ).values_list("consumer", flat=True)
    )


def task_runs_reap(*, now: dt.datetime | None = None, limit: int = 1000) -> ReapResult:
    """Mark runs executing on dead consumers `lost`; re-enqueue idempotent ones, once."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS)
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=cutoff, stopped_at__isnull=True)
    executing = TaskRun.objects.filter(state=TaskRun.State.EXECUTING)
    orphaned = executing.filter(
        Q(consumer__in=dead_consumers(now=now))
        | (~Q(consumer__in=alive.values("consumer")) & Q(started_at__lt=cutoff))
    )
    interrupted = TaskRun.objects.filter(state=TaskRun.State.INTERRUPTED, requeued_as="")
    result = ReapResult()
    for run in list(orphaned[:limit]) + list(interrupted[:limit]):
        lost, requeued = _reap_one(run)
        result.lost += lost
        result.requeued += requeued
    if result.lost or result.requeued:
        logger.warning("reaper: %s runs lost, %s re-enqueued", result.lost, result.requeued)
    return result


@transaction.atomic
def _reap_one(run: TaskRun) -> tuple[int, int]:
    lost = 0
    if run.state == TaskRun.State.EXECUTING:
        lost = TaskRun.objects.filter(pk=run.pk, state=TaskRun.State.EXECUTING).update(
            state=TaskRun.State.LOST,
            finished_at=timezone.now(),
            note=f"consumer {run.consumer} stopped answering",
        )
        if not lost:
            return 0, 0  # it finished, or another reaper got there first
    if run.periodic_job:
        PeriodicRun.objects.filter(
            job=run.periodic_job, task_id=run.task_id, status=PeriodicRun.Status.RUNNING
        ).update(status=PeriodicRun.Status.LOST, finished_at=timezone.now())
        if run.periodic_job in REGISTRY:
            REGISTRY[run.periodic_job].lock.clear()  # its holder is dead
    try:
        idempotent = getattr(_task_class(run.name), "idempotent", False)
    except TaskRunStateError:
        idempotent = False
    claimed = TaskRun.objects.filter(pk=run.pk, requeued_as="")
    requeue = idempotent and claimed.update(requeued_as="pending")
    if lost:
        run_lost.send(
            sender=TaskRun, task_name=run.name, task_id=run.task_id, attempt=run.attempt,
            args=list(run.args), kwargs=dict(run.kwargs), consumer=run.consumer,
            requeued=bool(requeue),
        )  # fmt: skip
    if not requeue:
        return lost, 0
    copy = _enqueue_copy(run, requested_by="reaper", note=f"re-run of lost {run.task_id}")
    TaskRun.objects.filter(pk=run.pk).update(requeued_as=copy.task_id)
    return lost, 1


def task_runs_prune(
    *,
    older_than_days: int | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete finished task history older than the retention, in batches; returns the count."""
    days = settings.JOBS_HISTORY_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = TaskRun.objects.filter(created_at__lt=cutoff, state__in=FINISHED)
    deleted = delete_in_batches(old, batch_size=batch_size, progress=progress)
    finished = PeriodicRun.objects.filter(started_at__lt=cutoff).exclude(
        status=PeriodicRun.Status.RUNNING
    )
    delete_in_batches(finished, batch_size=batch_size)
    stale = timezone.now() - dt.timedelta(days=1)
    WorkerHeartbeat.objects.filter(last_seen__lt=stale).delete()
    return deleted


def delete_in_batches(queryset, *, batch_size: int, progress: Callable | None = None) -> int:
    """Delete a queryset's rows in primary-key ranges of about `batch_size` rows.

    Each batch is one `DELETE ... WHERE pk > last AND pk <= edge`: bounded memory, short
    transactions, no long parameter lists, and no batch rescans rows deleted before it.
    """
    total = last = 0
    while True:
        rest = queryset.filter(pk__gt=last)
        edge = list(rest.order_by("pk").values_list("pk", flat=True)[batch_size - 1 : batch_size])
        batch = rest.filter(pk__lte=edge[0]) if edge else rest
        deleted, _ = batch.delete()
        total += deleted
        if not edge:
            return total
        last = edge[0]
        if progress:
            progress(total)


def locks_clear(*, names: list[str] | None = None, stale_only: bool = True) -> list[str]:
    """Release periodic-job locks (all named ones, or only those no live run holds)."""
    from .selectors import locks_list

    cleared = []
    for lock in locks_list():
        if not lock.locked or (names and lock.job not in names):
            continue
        if stale_only and not lock.stale:
            continue
        REGISTRY[lock.job].lock.clear()
        cleared.append(lock.job)
    return cleared
