"""A periodic job's claim on its period: the unique PeriodicRun row of (job, period) that makes
a job run once per period across every consumer, and how its outcome is written.
"""

import logging
import re
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from huey.exceptions import TaskLockedException

from .adapter import consumer_name
from .models import PeriodicJobState, PeriodicRun
from .periods import Period

logger = logging.getLogger("apps.jobs")
_HOLDER = re.compile(r", claim (\d+) \(run (\d+)\)$")  # what claim_holder writes


def job_paused(name: str) -> bool:
    return PeriodicJobState.objects.filter(job=name, paused=True).exists()


def period_skip(job: str, period: Period, task_id: str, requested_by: str) -> None:
    PeriodicRun.objects.get_or_create(
        job=job,
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


def period_claim(
    job: str, period: Period, task_id: str, force: bool, requested_by: str
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
                job=job,
                period_key=period.key,
                period_start=period.start,
                period_end=period.end,
                forced=force,
                **fields,
            )
    except IntegrityError:
        pass
    rows = PeriodicRun.objects.filter(job=job, period_key=period.key)
    takeover = rows.filter(status=PeriodicRun.Status.LOST)  # its consumer died
    if task_id:  # our own retry
        takeover |= rows.filter(task_id=task_id).exclude(status=PeriodicRun.Status.SUCCEEDED)
    if force:
        takeover = rows.exclude(status=PeriodicRun.Status.RUNNING)
        fields["forced"] = True
    if takeover.update(runs=F("runs") + 1, **fields):
        return rows.get()
    return None


def period_claimed(run: PeriodicRun) -> bool:
    """Whether `run`'s claim still stands: not declared lost, not taken over since."""
    return _still_its_claim(run).filter(status=PeriodicRun.Status.RUNNING).exists()


def period_finish(
    run: PeriodicRun, status: str, *, result: dict | None = None, error: str = ""
) -> bool:
    """Write the run's outcome if the row is still this claim's; whether it was.

    `runs` is the claim's fencing token: every takeover adds one. A run that stalled past the
    dead-after time (a frozen VM, a stopped process) was declared lost and its period taken
    over by its next attempt; when it wakes up and reaches this point, the row is no longer
    its claim, and its outcome must not overwrite the owner's (nor count as the period's run).
    A forced run's takeover fences off the run it replaced the same way."""
    return bool(
        _still_its_claim(run).update(
            status=status, result=result or {}, error=error, finished_at=timezone.now()
        )
    )


def claim_holder(run: PeriodicRun) -> str:
    """The name a claim's run holds its job's lock under (unique to the claim: a takeover
    adds one to `runs`), shown on the console's lock list."""
    return f"{run.job} {run.period_key}, claim {run.runs} (run {run.pk})"


def holder_claim_ended(holder: str) -> bool:
    """Whether the lock holder `holder` names a claim that no longer runs (it ended, was
    declared lost or was taken over); False for a holder that names no claim."""
    match = _HOLDER.search(holder)
    if match is None:
        return False
    runs, pk = (int(number) for number in match.groups())
    running = PeriodicRun.objects.filter(pk=pk, runs=runs, status=PeriodicRun.Status.RUNNING)
    return not running.exists()


def claim_lock_take(lock, holder: str):
    """The job's lock taken for `holder`, waited for up to JOBS_LOCK_WAIT_SECONDS. Runs of
    several periods of one job (a backfill, retries released at the same second) then take it
    one after the other instead of each failing and retrying `retry_delay` later, until their
    retries run out. Held longer (a long run; a killed run's, until the reaper frees it): raises
    TaskLockedException, and the run retries as before."""
    deadline = time.monotonic() + settings.JOBS_LOCK_WAIT_SECONDS
    checked = False
    while True:
        try:
            lock.acquire(holder)
            return lock
        except TaskLockedException:
            late = time.monotonic() >= deadline
            # Left by a claim that is over (its run's release failed: the broker was down as
            # it ended): freed here, that holder's hold only, or the job would stop until an
            # operator cleared the lock. Asked at the first miss and at the deadline, not at
            # every poll: a live holder usually releases within the wait.
            if (late or not checked) and _free_if_left_behind(lock):
                continue
            if late:
                raise
            checked = True
            time.sleep(0.05)


def _free_if_left_behind(lock) -> bool:
    """Free `lock` if its holder's claim no longer runs; whether it did."""
    left = lock.holder()
    if not (left and holder_claim_ended(left) and lock.release(left)):
        return False
    logger.warning("%s: freed the lock left by %s", lock.name, left)
    return True


def _still_its_claim(run: PeriodicRun):
    """The period's row while it is still `run`'s claim (`runs` is the fencing token)."""
    return PeriodicRun.objects.filter(pk=run.pk, task_id=run.task_id, runs=run.runs)
