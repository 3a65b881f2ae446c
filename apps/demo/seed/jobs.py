"""Demo jobs history over the task history's retention window: every periodic job's runs and
their periods, the tasks the emails and summaries needed, failures with their tracebacks,
automatic retries, an operator's retry, a revoked task, a run lost with its consumer, the
consumers that ran them, and the operators' actions in the audit trail."""

import datetime as dt
import random
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Model

from apps.accounts.models import User
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun
from apps.jobs.periodic import REGISTRY, JobSpec
from apps.jobs.periods import Period
from apps.jobs.schedule import runs_between
from apps.jobs.services import periodic_jobs_seen
from apps.mail.models import OutboundEmail
from apps.summaries.models import SummarizationRequest

from .history import CONSUMERS, DELIVERY_FAILURE, MODEL_TIMEOUT, History, consumers_seed
from .incidents import audit_seed, incidents_seed

MINUTE_JOB_HOURS = 24  # every-minute jobs: the last day only (they would be most of the rows)
# typical durations in seconds (median) per job; the rest take about a second
DURATIONS = {
    "usage_reports": 48.0,
    "analytics_daily": 6.5,
    "analytics_hourly": 1.8,
    "summaries_archive": 95.0,
    "daily_digest": 12.0,
    "history_retention": 4.2,
    "email_log_retention": 2.4,
}
FAILURES = {
    "usage_reports": (
        "SMTPServerDisconnected: Connection unexpectedly closed",
        "billing",
        16,
        "usage_reports_send_task",
        "return usage_reports_send()",
    ),
    "analytics_hourly": (
        "OperationalError: canceling statement due to statement timeout",
        "analytics",
        11,
        "interactions_roll_up_hourly_task",
        "return interactions_roll_up(model=HourlyRollup, start=start, end=end)",
    ),
    "analytics_daily": (
        "OperationalError: canceling statement due to statement timeout",
        "analytics",
        18,
        "interactions_roll_up_daily_task",
        "return interactions_roll_up(model=DailyRollup, start=start, end=end)",
    ),
}


# Its last period failed: the schedules page and the alerts show one job to fix (run it now).
LATE_JOB = "analytics_daily"


def jobs_seed(*, now: dt.datetime, staff: list[User]) -> int:
    """Task runs and their attempts, periodic runs, consumers and audit entries; nothing when
    they are already there."""
    if TaskRun.objects.filter(enqueued_by="demo").exists():
        return 0
    history = History(random.Random(3), now)
    since = now - dt.timedelta(days=settings.JOBS_HISTORY_RETENTION_DAYS)
    operator = next((u for u in staff if "ops" in u.email), None)
    consumers_seed(now)
    # The demo's consumers have scheduled every job from its first day: a period they did not
    # run, or that failed, is a problem the console shows (LATE_JOB's last one is).
    periodic_jobs_seen(now=now - dt.timedelta(days=max(c[1] for c in CONSUMERS)))
    periodic: list[PeriodicRun] = []
    for name, spec in sorted(REGISTRY.items()):
        _periodic_history(history, name, spec, since, periodic)
    _email_tasks(history, since)
    _summary_tasks(history, since)
    incidents_seed(history, operator)
    TaskRun.objects.bulk_create(history.runs, batch_size=1000)
    TaskAttempt.objects.bulk_create(history.attempts, batch_size=1000)
    PeriodicRun.objects.bulk_create(periodic, batch_size=1000, ignore_conflicts=True)
    audit_seed(now, operator, history.runs)
    return len(history.runs)


# How far back each kind of job's periods go (the task history itself keeps 30 days).
PERIODIC_DAYS = {"minute": MINUTE_JOB_HOURS / 24, "hour": 30, "day": 90, "week": 90, "month": 90}


def _periodic_history(history, name, spec: JobSpec, since, periodic) -> None:
    """One run per period, as the consumers' schedulers claimed them. The last two minutes are
    left to the real consumer (its scheduler may still enqueue them); task runs are kept for
    the history's retention window only, as the history_retention job would."""
    rng, until = history.rng, history.now - dt.timedelta(minutes=2)
    # The job's trigger times, one per period, as its schedulers computed them.
    start = until - dt.timedelta(days=PERIODIC_DAYS[spec.period])
    triggers = list(runs_between(spec.schedule, start, until))
    for trigger in triggers:
        period = spec.period_for(trigger)
        failure = FAILURES.get(name) if rng.random() < 0.01 else None
        if name == LATE_JOB and trigger == triggers[-1]:  # a failed period to practise on
            failure = FAILURES[name]
        result = None if failure else _result(rng, name)
        run = history.run(
            spec.task_name,
            trigger,
            median=DURATIONS.get(name, 0.8),
            failure=failure,
            keep=trigger >= since,
            periodic_job=name,
            period_key=period.key,
            result=result,
        )
        periodic.append(_periodic_run(name, period, run, result=result))


def _periodic_run(name: str, period: Period, run: TaskRun, *, result: dict | None) -> PeriodicRun:
    """The job's row for `period` as `run` left it: failed when it has no result."""
    return PeriodicRun(
        job=name,
        period_key=period.key,
        period_start=period.start,
        period_end=period.end,
        status="succeeded" if result is not None else "failed",
        task_id=run.task_id,
        consumer=run.consumer,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        result=result or {},
    )


def _result(rng, name: str) -> dict:
    return {
        "reaper": {"lost": 0, "requeued": 0},
        "outbox_sweep": {"requeued": rng.choice([0, 0, 0, 1])},
        "analytics_hourly": {"rows": rng.randint(8, 30)},
        "daily_digest": {"sent": rng.randint(2, 6)},
        "history_retention": {"deleted": rng.randint(200, 900)},
    }.get(name, {})


def _email_tasks(history: History, since: dt.datetime) -> None:
    """One delivery task per email; the failed ones kept retrying, then gave up."""
    emails = OutboundEmail.objects.filter(created_at__gte=since, dedupe_key__startswith="demo:")
    emails = emails.only("pk", "status", "created_at", "attempts")
    _task_per_row(
        history,
        emails,
        "apps.mail.tasks.email_deliver_task",
        0.45,
        DELIVERY_FAILURE,
        tries=lambda e: e.attempts,
    )


def _summary_tasks(history: History, since: dt.datetime) -> None:
    """One processing task per summarization request; failures were tried four times."""
    requests = SummarizationRequest.objects.filter(created_at__gte=since).only(
        "pk", "status", "created_at"
    )
    _task_per_row(
        history,
        requests,
        "apps.summaries.tasks.summarization_request_process_task",
        2.4,
        MODEL_TIMEOUT,
        tries=lambda _request: 4,
    )


def _task_per_row(
    history: History,
    rows: Iterable[Model],
    task: str,
    median: float,
    failure: tuple,
    *,
    tries: Callable[[Model], int],
) -> None:
    """One `task` run per row, with the row's id as its argument; a failed row's task failed
    `tries(row)` times."""
    for row in rows:
        failed = row.status == "failed"
        history.run(
            task,
            row.created_at,
            median=median,
            failure=failure if failed else None,
            args=[row.pk],
            tries=tries(row) if failed else 1,
        )
