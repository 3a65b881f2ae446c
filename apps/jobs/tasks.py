import time

from huey.contrib.djhuey import db_task

from .adapter import attempt_of, counter_add
from .latency.summary import task_latency_summarize
from .periodic import JobRun, periodic_job
from .reaper import task_runs_reap
from .reconcile import task_runs_reconcile
from .services import task_runs_prune


@periodic_job(name="reaper", schedule="* * * * *", period="minute")
def task_runs_reap_task(run: JobRun) -> dict:
    """Mark what dead consumers held lost and re-enqueue the idempotent ones, once."""
    result = task_runs_reap()
    return {"lost": result.lost, "requeued": result.requeued, "released": result.released}


@periodic_job(name="reconciliation", schedule="*/5 * * * *", period="minute")
def task_runs_reconcile_task(run: JobRun) -> dict:
    """Mark lost the waiting runs the broker no longer holds (a restart without persistence)
    and re-enqueue the idempotent ones, once."""
    result = task_runs_reconcile()
    return {"checked": result.checked, "lost": result.lost, "requeued": result.requeued}


@periodic_job(name="history_retention", schedule="30 3 * * *", period="day")
def task_runs_prune_task(run: JobRun) -> dict:
    """Delete task history older than JOBS_HISTORY_RETENTION_DAYS."""
    return {"deleted": task_runs_prune(progress=lambda n: run.progress(n))}


@periodic_job(name="latency_summary", schedule="*/5 * * * *", period="minute")
def task_latency_summarize_task(run: JobRun) -> dict:
    """Summarize the task history's run times and queue waits by hour and day, for the latency
    percentiles of the dashboard."""
    return task_latency_summarize(now=run.period.end)


@db_task(idempotent=True, context=True)
def jobs_canary_task(
    seconds: float = 0, token: str = "", fail: bool = False, task=None
) -> int | None:
    """A probe operators enqueue to see a consumer work: sleeps, then counts itself, in all and
    per attempt (the crash tests check that no attempt of a task ever runs twice)."""
    if seconds:
        time.sleep(seconds)
    if fail:
        raise RuntimeError("the canary was asked to fail")
    if not token:
        return None
    counter_add(f"jobs.canary.{token}.attempt.{attempt_of(task)}")
    return counter_add(f"jobs.canary.{token}")
