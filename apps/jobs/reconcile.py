"""Reconciliation: the history's waiting runs against what the broker holds.

A Redis without persistence comes back from a restart empty: the tasks it held are gone, while
the history still says `enqueued` (or `scheduled`, `retrying`) and no consumer will ever write
another word about them. Every few minutes this pass takes the runs that have waited longer
than JOBS_RECONCILE_GRACE_SECONDS and looks for each in the broker (the schedule, the queue and
every consumer's in-flight register). One that is nowhere, in two reads, is marked `lost`
with a note naming the broker's restart; a task declared `idempotent=True` is enqueued again as
its next attempt (the same task id), exactly once even with several passes at once: the
conditional UPDATE decides who does it, in the transaction that enqueues.

A run lost earlier and enqueued again waits too, though its history still reads `lost` until
its next attempt starts (the enqueue's own history event may have died with the process that
wrote it): it is looked for the same way and, if the broker dropped it, that next attempt is
lost in turn and a later one enqueued.

| run state (history)          | found in the broker     | what happens                    |
| ---------------------------- | ----------------------- | ------------------------------- |
| enqueued/scheduled/retrying, | yes                     | nothing (it waits its turn)     |
| or lost and enqueued again   |                         |                                 |
| same, changed meanwhile      | -                       | nothing (it moved on)           |
| same, unchanged              | no, in either read      | lost; idempotent: enqueued again |
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from .adapter import BrokerHealth, broker_health, broker_task_ids
from .lost import may_requeue, run_lose
from .models import TaskRun
from .signals import broker_lost_runs

logger = logging.getLogger("apps.jobs")
WAITING = [TaskRun.State.ENQUEUED, TaskRun.State.SCHEDULED, TaskRun.State.RETRYING]
# The note of a run this pass found missing starts so (the ops alert groups them by it).
MISSING_NOTE = "not in the broker"
MAX_RUNS_PER_PASS = 10_000
# Lost runs enqueued again are looked for this long; one still waiting after that is an
# outage the alerts have long reported.
REQUEUED_HORIZON = dt.timedelta(days=7)


@dataclass
class ReconcileResult:
    checked: int = 0
    lost: int = 0
    requeued: int = 0
    lost_ids: list[str] = field(default_factory=list)


def task_runs_reconcile(*, now: dt.datetime | None = None) -> ReconcileResult:
    """Mark `lost` the waiting runs the broker no longer holds; re-enqueue idempotent ones."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.JOBS_RECONCILE_GRACE_SECONDS)
    waiting = TaskRun.objects.filter(state__in=WAITING, updated_at__lt=cutoff)
    waiting = waiting.order_by("updated_at")
    lost = TaskRun.objects.filter(
        state=TaskRun.State.LOST, updated_at__lt=cutoff, updated_at__gte=now - REQUEUED_HORIZON
    ).order_by("updated_at")
    candidates = dict(waiting.values_list("task_id", "updated_at")[:MAX_RUNS_PER_PASS])
    candidates |= {
        task_id: updated_at
        for task_id, name, attempt, updated_at in lost.values_list(
            "task_id", "name", "attempt", "updated_at"
        )[:MAX_RUNS_PER_PASS]
        if may_requeue(name, attempt)  # what its loss did: enqueued again
    }
    result = ReconcileResult(checked=len(candidates))
    if not candidates:
        return result
    missing = candidates.keys() - broker_task_ids()
    if missing:  # a task moving between lists as they are read may be missed: read twice
        missing -= broker_task_ids()
    if not missing:
        return result
    runs = TaskRun.objects.filter(task_id__in=missing).only(
        "task_id", "name", "args", "kwargs", "attempt", "state", "rank", "updated_at", "consumer"
    )
    runs = [run for run in runs if run.updated_at == candidates[run.task_id]]  # not touched since
    if not runs:
        return result
    said = _restart_words(broker_health(), since=min(run.updated_at for run in runs))
    for run in runs:
        _settle(run, said, result, now)
    if result.lost:
        logger.error(
            "reconciliation: %s waiting run(s) %s (%s); %s enqueued again",
            result.lost,
            MISSING_NOTE,
            said,
            result.requeued,
        )
        broker_lost_runs.send(
            sender=TaskRun,
            lost=result.lost,
            requeued=result.requeued,
            reason=said,
            task_ids=result.lost_ids,
        )
    return result


def _settle(run: TaskRun, said: str, result: ReconcileResult, now: dt.datetime) -> None:
    # Any progress, or another pass settling it first, changes one of them (a lost run lost
    # again keeps its state and rank).
    # (`updated_at` only grows; "at most" because SQLite keeps the history's times to the
    # millisecond, as text that an exact comparison with Django's microseconds would miss.)
    seen = {"state": run.state, "rank": run.rank, "updated_at__lte": run.updated_at}
    if run.state == TaskRun.State.LOST:  # what went missing is the attempt enqueued again,
        run.attempt += 1  # which may have started unrecorded: the next one gets a new number
    requeued = run_lose(run=run, seen=seen, why=f"{MISSING_NOTE} ({said})", now=now)
    if requeued is None:  # another pass, or the task's own progress, got there first
        return
    result.lost += 1
    result.requeued += requeued
    result.lost_ids.append(run.task_id)


def _restart_words(health: BrokerHealth, *, since: dt.datetime) -> str:
    """Why the broker lost runs waiting since `since`, in words for a note and an alert."""
    # The broker gives its uptime in whole seconds: a start within two seconds of the oldest
    # lost run is its restart.
    if health.started is None or health.started < since - dt.timedelta(seconds=2):
        return "the broker dropped it without a restart: flushed, or evicted for memory"
    kept = "" if health.persistent else " without persistence (appendonly no)"
    return f"the broker restarted at {health.started:%Y-%m-%d %H:%M} UTC{kept}"
