"""The once-per-period declaration: `@periodic_job` over djhuey's `db_periodic_task`.

Every consumer's scheduler enqueues a periodic job when its crontab matches; the enqueued task
carries the period it covers (pinned from the minute the crontab matched, so a queue backlog
cannot move it). The
run then claims the unique PeriodicRun row for (job, period) and the job's huey lock; a second
copy of the same period finds the row taken and is cancelled. A forced run takes over the row of
a finished or failed period (counted and attributed); a run the reaper declared lost is taken
over by its re-enqueued copy.
"""

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import CancelExecution, TaskLockedException

from . import clock
from .adapter import consumer_name, periodic_task, task_name
from .exceptions import UnknownJobError
from .models import PeriodicJobState, PeriodicRun
from .periods import Period, period_containing, period_parse
from .recorder import recorder
from .schedule import next_run, previous_run, schedule_check, schedule_matches, schedule_words

logger = logging.getLogger("apps.jobs")

REGISTRY: dict[str, "JobSpec"] = {}
progress_sink: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "progress_sink", default=None
)


@dataclass
class JobRun:
    """What a job body receives: the period it covers and a way to report progress."""

    spec: "JobSpec"
    period: Period
    forced: bool = False
    requested_by: str = ""
    _last_report: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, what: str = "rows") -> None:
        """Report progress; printed by commands, logged every few seconds by consumers."""
        sink = progress_sink.get()
        now = time.monotonic()
        if sink is None and now - self._last_report < 5:
            return
        self._last_report = now
        text = f"{self.spec.name} {self.period.key}: {done:,}" + (
            f"/{total:,} {what}" if total is not None else f" {what}"
        )
        (sink or logger.info)(text)


@dataclass
class JobSpec:
    """A periodic job: name, crontab (UTC), the period kind it covers and its body."""

    name: str
    schedule: str
    period: str
    covers: int
    body: Callable[[JobRun], dict | None]
    description: str
    task: Any = None

    @property
    def task_name(self) -> str:
        return task_name(self.task)

    @property
    def lock(self):
        return HUEY.lock_task(f"jobs.{self.name}")

    def period_for(self, moment: dt.datetime) -> Period:
        """The period a run triggered at this moment covers (e.g. the previous hour)."""
        return period_containing(self.period, moment).shift(self.covers)

    def latest_due_period(self, moment: dt.datetime) -> Period:
        """The period of the latest trigger at or before `moment`: what "run now" covers.

        Never the period a later trigger will cover (the one containing `moment` may be it: a
        daily 18:10 run covers its own day, so a run at 17:30 claiming today would make the
        18:10 run find its period taken and skip)."""
        return self.period_for(self.previous_run(moment))

    def parse_period(self, key: str) -> Period:
        return period_parse(self.period, key)

    def next_run(self, after: dt.datetime) -> dt.datetime:
        return next_run(self.schedule, after)

    def previous_run(self, at_or_before: dt.datetime) -> dt.datetime:
        return previous_run(self.schedule, at_or_before)

    @property
    def words(self) -> str:
        return schedule_words(self.schedule)


def periodic_job(
    *,
    name: str,
    schedule: str,
    period: str,
    covers: int = 0,
    retries: int = 2,
    retry_delay: int = 60,
) -> Callable:
    """Declare `fn(run: JobRun) -> dict | None` as a periodic job running once per period.

    `schedule` is a five-field crontab in UTC ("5 * * * *"); `period` the kind of period a run
    covers and `covers` its offset from the period containing the trigger time (-1: the
    previous one, as for a roll-up at 00:05 of yesterday). Returns djhuey's task wrapper.
    """
    schedule_check(schedule)
    # huey's scheduler asks this each minute: the schedule engine, the one the console's next
    # and previous runs come from, so what is enqueued and what is shown cannot disagree.
    matches = functools.partial(schedule_matches, schedule)

    def decorator(fn: Callable[[JobRun], dict | None]):
        spec = JobSpec(name, schedule, period, covers, fn, (fn.__doc__ or "").strip())

        def on_schedule(task, timestamp: dt.datetime) -> None:
            """The scheduler matched the crontab at `timestamp`: the task covers its period."""
            task.kwargs.setdefault("period", spec.period_for(timestamp).key)

        def run(period: str | None = None, force: bool = False, requested_by: str = "", task=None):
            return periodic_run_execute(
                spec=spec, period_key=period, force=force, requested_by=requested_by, task=task
            )

        run.__name__ = run.__qualname__ = fn.__name__
        run.__module__ = fn.__module__
        spec.task = periodic_task(
            matches,
            retries=retries,
            retry_delay=retry_delay,
            context=True,
            idempotent=True,
            job_name=name,
            on_schedule=on_schedule,
        )(run)
        REGISTRY[name] = spec
        spec.task.spec = spec
        return spec.task

    return decorator


def job_spec(name: str) -> JobSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownJobError(
            f"No periodic job is called {name!r}; `manage.py jobs_list` shows them all."
        ) from None


def spec_for_task(task) -> JobSpec | None:
    """The periodic job a task instance belongs to, or None."""
    return REGISTRY.get(getattr(type(task), "job_name", ""))


def periodic_run_execute(
    *, spec: JobSpec, period_key: str | None, force: bool, requested_by: str, task=None
) -> dict | None:
    """Claim (job, period), take the job's lock, run the body, record the outcome."""
    period = spec.parse_period(period_key) if period_key else spec.latest_due_period(clock.now())
    task_id = task.id if task is not None else ""
    if not force and _paused(spec.name):
        _record_skipped(spec, period, task_id, requested_by)
        return {"skipped": "paused"}
    run = _claim(spec, period, task_id, force, requested_by)
    if run is None:
        _cancel(task, f"{spec.name} {period.key} already claimed by another run")
        return None
    try:
        with _job_lock(spec):
            result = spec.body(JobRun(spec, period, force, requested_by)) or {}
    except TaskLockedException:
        if task is None or not task.retries:
            _finish(run, PeriodicRun.Status.FAILED, error="the job's lock is held by another run")
        raise
    except Exception:
        _finish(run, PeriodicRun.Status.FAILED, error=traceback.format_exc())
        raise
    _finish(run, PeriodicRun.Status.SUCCEEDED, result=result)
    return result


@contextlib.contextmanager
def _job_lock(spec: JobSpec):
    """The job's huey lock, waited for up to JOBS_LOCK_WAIT_SECONDS. Runs of several periods
    of one job (a backfill, retries released at the same second) then take it one after the
    other instead of each failing and retrying `retry_delay` later, until their retries run
    out. Held longer (a long run; a killed run's, until the reaper frees it): the run raises
    TaskLockedException and retries as before."""
    lock = spec.lock
    deadline = time.monotonic() + settings.JOBS_LOCK_WAIT_SECONDS
    while True:
        try:
            lock.acquire()
            break
        except TaskLockedException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
    try:
        yield
    finally:
        lock.release()


def _paused(name: str) -> bool:
    return PeriodicJobState.objects.filter(job=name, paused=True).exists()


def _record_skipped(spec: JobSpec, period: Period, task_id: str, requested_by: str) -> None:
    PeriodicRun.objects.get_or_create(
        job=spec.name,
        period_key=period.key,
        defaults={
            "period_start": period.start,
            "period_end": period.end,
            "status": PeriodicRun.Status.SKIPPED,
            "task_id": task_id,
            "requested_by": requested_by or "scheduler",
            "finished_at": timezone.now(),
        },
    )


def _claim(
    spec: JobSpec, period: Period, task_id: str, force: bool, requested_by: str
) -> PeriodicRun | None:
    """The claimed row, or None when another run owns this period.

    The row of (job, period) is unique, so the first INSERT wins. A run that finds the row
    taken may take it over only as this table says (one UPDATE, so two contenders cannot both
    win; `runs` counts the takeovers):

        row's status          scheduled copy   its own retry (same task id)   forced run
        ------------          --------------   ----------------------------   ----------
        running               cancelled        takes it over                  refused
        lost (consumer dead)  takes it over    takes it over                  takes it over
        failed / skipped      cancelled        takes it over                  takes it over
        succeeded             cancelled        cancelled                      takes it over

    A running row's own retry is the task huey retries after an error in the same attempt
    chain; a scheduled copy of a running period is the second consumer's scheduler."""
    fields = {
        "status": PeriodicRun.Status.RUNNING,
        "task_id": task_id,
        "consumer": consumer_name(),
        "requested_by": requested_by or "scheduler",
        "started_at": timezone.now(),
        "finished_at": None,
        "error": "",
    }
    try:
        with transaction.atomic():
            return PeriodicRun.objects.create(
                job=spec.name,
                period_key=period.key,
                period_start=period.start,
                period_end=period.end,
                forced=force,
                **fields,
            )
    except IntegrityError:
        pass
    rows = PeriodicRun.objects.filter(job=spec.name, period_key=period.key)
    takeover = rows.filter(status=PeriodicRun.Status.LOST)  # its consumer died
    if task_id:  # our own retry
        takeover |= rows.filter(task_id=task_id).exclude(status=PeriodicRun.Status.SUCCEEDED)
    if force:
        takeover = rows.exclude(status=PeriodicRun.Status.RUNNING)
        fields["forced"] = True
    if takeover.update(runs=F("runs") + 1, **fields):
        return rows.get()
    return None


def _finish(run: PeriodicRun, status: str, *, result: dict | None = None, error: str = "") -> None:
    PeriodicRun.objects.filter(pk=run.pk, task_id=run.task_id).update(
        status=status, result=result or {}, error=error, finished_at=timezone.now()
    )


def _cancel(task, reason: str) -> None:
    logger.info("%s: %s", task.id if task else "inline run", reason)
    if task is not None:
        recorder.note(task, reason)
        raise CancelExecution(retry=False)
