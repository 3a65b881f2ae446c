"""Operator actions and housekeeping on tasks and periodic jobs."""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.batches import delete_in_batches

from . import clock
from .adapter import django_task, task_class
from .arguments import arguments_check
from .exceptions import TaskRunStateError, UnknownTaskError
from .models import (
    PeriodicJobState,
    PeriodicRun,
    TaskAttempt,
    TaskLatency,
    TaskRun,
    WorkerHeartbeat,
)
from .periodic import REGISTRY, job_spec
from .recorder import recorder

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
    TaskRun.State.UNRECORDED,
]


def _task_class(name: str):
    try:
        return task_class(name)
    except UnknownTaskError as exc:
        raise TaskRunStateError(f"{exc} It cannot be re-run.") from exc


def _enqueue_copy(run: TaskRun, *, requested_by: str, note: str) -> TaskRun:
    """Enqueue the run's task again with its exact args (a new task id), linked to the old."""
    declared = django_task(run.name)
    if declared is not None:  # through django.tasks (on commit): its result is readable there
        task_id = declared.enqueue(*run.args, **run.kwargs).id
    else:
        task = _task_class(run.name)(args=tuple(run.args), kwargs=dict(run.kwargs))
        task_id = task.id
        transaction.on_commit(lambda: HUEY.enqueue(task))
    copy = TaskRun.objects.create(
        task_id=task_id,
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


RERUN_NOTE = "re-run with edited arguments of"


@transaction.atomic
def task_run_rerun(*, run: TaskRun, args: list, kwargs: dict, requested_by: str) -> TaskRun:
    """Run a finished task again with other arguments, checked against its signature first;
    returns the new run, linked to `run` (its `retry_of`)."""
    if run.state not in FINISHED:
        raise TaskRunStateError(
            f"Task {run.task_id} is {run.state}; only a finished run can be run again."
        )
    arguments_check(name=run.name, args=args, kwargs=kwargs)
    if run.periodic_job:  # its own period (checked), forced: the period may have run
        job = job_spec(run.periodic_job)
        if kwargs.get("period"):
            job.parse_period(str(kwargs["period"]))
        kwargs = {**kwargs, "force": True, "requested_by": requested_by}
    period_key = str(kwargs.get("period") or run.period_key) if run.periodic_job else ""
    fields = {**_fields(run), "args": list(args), "kwargs": dict(kwargs), "period_key": period_key}
    edited = TaskRun(**fields)
    note = f"{RERUN_NOTE} {run.task_id}"
    return _enqueue_copy(edited, requested_by=requested_by, note=note)


def _fields(run: TaskRun) -> dict:
    return {f.attname: getattr(run, f.attname) for f in TaskRun._meta.concrete_fields}


WAITING = (TaskRun.State.ENQUEUED, TaskRun.State.SCHEDULED, TaskRun.State.RETRYING)


def task_run_revoke(*, run: TaskRun, requested_by: str) -> TaskRun:
    """Stop a waiting (queued, scheduled or retrying) task from running; it shows `revoked` at
    once, since it will not run.

    The row turns revoked by a conditional UPDATE (still waiting), so a second revoke, or one
    racing a consumer that took the task, changes nothing and says why. The history keeps the
    highest-ranked event (recorder.py): the revoke ranks as the end of the attempt that would
    have run, so huey's own `revoked` signal, when a consumer drops the task, agrees with it,
    and a consumer that took the task just before keeps the last word with its outcome."""
    now = timezone.now()
    with transaction.atomic():
        attempt = run.attempt + (run.state == TaskRun.State.RETRYING)  # the next one waits
        won = TaskRun.objects.filter(pk=run.pk, state__in=WAITING).update(
            state=TaskRun.State.REVOKED,
            rank=attempt * 10 + 2,
            finished_at=now,
            updated_at=now,
            note=f"revoke requested by {requested_by}: it will not run",
            requested_by=requested_by,
        )
        if not won:
            state = TaskRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
            raise TaskRunStateError(
                f"Task {run.task_id} is {state or 'gone'}: only a waiting task can be revoked."
            )
        HUEY.revoke_by_id(run.task_id)  # the broker refusing undoes the row's change
    run.refresh_from_db()
    return run


def periodic_job_enqueue(
    *, name: str, requested_by: str, period_key: str | None = None, force: bool = False
):
    """Hand a periodic job to the consumers now, for a period (default: the latest one its
    schedule has triggered, so the next scheduled run keeps its own period)."""
    spec = job_spec(name)
    if period_key:
        spec.parse_period(period_key)  # fail here, not in a consumer
    else:  # pinned now: a queue backlog cannot move it
        period_key = spec.latest_due_period(clock.now()).key
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


def periodic_jobs_seen(*, now: dt.datetime | None = None) -> None:
    """A consumer starts: every job it schedules counts as seen from now on (once per job),
    so no period before that is reported missed."""
    now = now or timezone.now()
    PeriodicJobState.objects.bulk_create(
        [PeriodicJobState(job=name, first_seen_at=now) for name in REGISTRY],
        ignore_conflicts=True,
    )
    PeriodicJobState.objects.filter(first_seen_at__isnull=True).update(first_seen_at=now)


def periodic_job_pause(*, name: str, paused: bool, changed_by: str) -> PeriodicJobState:
    """Pause (or resume) a periodic job: scheduled runs of a paused job are skipped."""
    job_spec(name)
    state, _ = PeriodicJobState.objects.update_or_create(
        job=name,
        defaults={"paused": paused, "changed_by": changed_by, "changed_at": timezone.now()},
    )
    return state


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
    deleted = delete_in_batches(
        old, batch_size=batch_size, progress=progress, before=_delete_attempts_of
    )
    finished = PeriodicRun.objects.filter(started_at__lt=cutoff).exclude(
        status=PeriodicRun.Status.RUNNING
    )
    delete_in_batches(finished, batch_size=batch_size)
    stale = timezone.now() - dt.timedelta(days=1)
    WorkerHeartbeat.objects.filter(last_seen__lt=stale).delete()
    TaskLatency.objects.filter(start__lt=cutoff).delete()  # summaries of pruned history
    return deleted


def _delete_attempts_of(runs) -> None:
    TaskAttempt.objects.filter(task_id__in=runs.values("task_id")).delete()


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
