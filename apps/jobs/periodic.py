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

from django.db import DatabaseError, transaction
from huey.exceptions import CancelExecution, TaskLockedException

from . import clock
from .adapter import attempt_of, job_lock, periodic_task, task_name
from .exceptions import PeriodSupersededError, UnknownJobError
from .models import PeriodicRun
from .period_claims import (
    claim_holder,
    claim_lock_take,
    job_paused,
    period_claim,
    period_claimed,
    period_finish,
    period_skip,
)
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
    atomic: bool = False
    task: Any = None

    @property
    def task_name(self) -> str:
        return task_name(self.task)

    @property
    def lock(self):
        return job_lock(self.name)

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
    atomic: bool = False,
) -> Callable:
    """Declare `fn(run: JobRun) -> dict | None` as a periodic job running once per period.

    `schedule` is a five-field crontab in UTC ("5 * * * *"); `period` the kind of period a run
    covers and `covers` its offset from the period containing the trigger time (-1: the
    previous one, as for a roll-up at 00:05 of yesterday). `atomic`: the body's writes and
    the period's outcome commit in one transaction, so a run that stalled, was declared lost
    and woke up after its next attempt took the period over leaves no write behind; for bodies
    of bounded size (a roll-up), not for those that commit batch by batch (a retention purge,
    whose second run finds nothing left to do). Returns djhuey's task wrapper.
    """
    schedule_check(schedule)
    # huey's scheduler asks this each minute: the schedule engine, the one the console's next
    # and previous runs come from, so what is enqueued and what is shown cannot disagree.
    matches = functools.partial(schedule_matches, schedule)

    def decorator(fn: Callable[[JobRun], dict | None]):
        spec = JobSpec(name, schedule, period, covers, fn, (fn.__doc__ or "").strip(), atomic)

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
    # A scheduled run carries its period (pinned when the scheduler matched); a run without
    # one (inline, `jobs_run`) covers the latest period already due, never a future one.
    period = spec.parse_period(period_key) if period_key else spec.latest_due_period(clock.now())
    task_id = task.id if task is not None else ""
    # Paused: the period is recorded as skipped, so the console shows the gap and a later
    # scheduled copy finds it taken; an operator's forced run goes ahead anyway.
    if not force and job_paused(spec.name):
        period_skip(spec.name, period, task_id, requested_by)
        return {"skipped": "paused"}
    run = period_claim(spec.name, period, task_id, force, requested_by)
    if run is None:  # another run owns the period: cancelled, not failed (nothing to retry)
        _cancel(task, f"{spec.name} {period.key} already claimed by another run")
        return None
    holder = claim_holder(run)
    try:
        lock = claim_lock_take(spec.lock, holder)
    except TaskLockedException:
        # With retries left the row stays running: huey's retry (same task id) takes it over.
        if task is None or not task.retries:
            period_finish(
                run, PeriodicRun.Status.FAILED, error="the job's lock is held by another run"
            )
        raise
    # Declared lost while it waited for the lock (a consumer whose heartbeat came late): the
    # period is its next attempt's, which waits on this lock.
    if not period_claimed(run):
        lock.release(holder)
        _cancel(task, _stepped_aside(spec, period, task))
        return None
    # The lock names its holder, so every way out releases it: a release frees it only while
    # this claim holds it, never the lock of a run that took the period (or the job) since.
    try:
        with transaction.atomic() if spec.atomic else contextlib.nullcontext():
            result = spec.body(JobRun(spec, period, force, requested_by)) or {}
            if not period_finish(run, PeriodicRun.Status.SUCCEEDED, result=result):
                raise PeriodSupersededError(_superseded(spec, period, task))
    except PeriodSupersededError as superseded:
        _cancel(task, str(superseded))
        return None
    except Exception:
        _fail(run)
        raise
    finally:
        lock.release(holder)
    return result


def _fail(run: PeriodicRun) -> None:
    """Write the failure (the traceback being handled) while the claim is this run's; a
    database that cannot be reached (the connection went with a stall) is logged, and the
    task's own failure is what the history shows."""
    try:
        period_finish(run, PeriodicRun.Status.FAILED, error=traceback.format_exc())
    except DatabaseError:
        logger.exception("%s: could not write the run's failure", run)


def _which(task) -> str:
    return f"attempt {attempt_of(task)}" if task is not None else "an inline run"


def _superseded(spec: JobSpec, period: Period, task) -> str:
    which = _which(task)
    rolled_back = "its writes rolled back" if spec.atomic else "its outcome discarded"
    return (
        f"{which} of {spec.name} {period.key} finished after its claim was taken over while "
        f"it ran (declared lost, or replaced by a forced run): {rolled_back}; the period's run "
        "is the one that took it over"
    )


def _stepped_aside(spec: JobSpec, period: Period, task) -> str:
    return (
        f"{_which(task)} of {spec.name} {period.key} was declared lost while it waited for the "
        "job's lock: it left the period to the run that took it over, before running"
    )


def _cancel(task, reason: str) -> None:
    logger.info("%s: %s", task.id if task else "inline run", reason)
    if task is not None:
        recorder.note(task, reason)
        raise CancelExecution(retry=False)
