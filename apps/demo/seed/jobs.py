"""Demo jobs history over the task history's retention window: every periodic job's runs and
their periods, the tasks the emails and summaries needed, failures with their tracebacks,
automatic retries, an operator's retry, a revoked task, a run lost with its consumer, the
consumers that ran them, and the operators' actions in the audit trail."""

import datetime as dt
import random
import uuid

from django.conf import settings

from apps.accounts.models import User
from apps.console.models import AuditEntry
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.periodic import REGISTRY, JobSpec
from apps.jobs.periods import period_containing
from apps.jobs.services import periodic_jobs_seen
from apps.mail.models import OutboundEmail
from apps.summaries.models import SummarizationRequest

MINUTE_JOB_HOURS = 24  # every-minute jobs: the last day only (they would be most of the rows)
CONSUMERS = [  # name (host:pid:nonce), started days ago, last seen days ago, stopped
    ("worker-a.internal:4121:7f3a", 34, 3.0, True),
    ("worker-b.internal:5310:c81e", 21, 1.2, False),  # died: its heartbeat stopped, no goodbye
    ("worker-c.internal:6022:0b9d", 1.2, 0.0, True),
]
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
TRACEBACK = """Traceback (most recent call last):
  File "/app/.venv/lib/python3.12/site-packages/huey/api.py", line 400, in _execute
    task_value = task.execute()
  File "/app/apps/{module}/tasks.py", line {line}, in {function}
    {call}
{error}"""
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
    _consumers(now)
    # The demo's consumers have scheduled every job from its first day: a period they did not
    # run, or that failed, is a problem the console shows (LATE_JOB's last one is).
    periodic_jobs_seen(now=now - dt.timedelta(days=max(c[1] for c in CONSUMERS)))
    periodic: list[PeriodicRun] = []
    for name, spec in sorted(REGISTRY.items()):
        _periodic_history(history, name, spec, since, periodic)
    _email_tasks(history, since)
    _summary_tasks(history, since)
    _incidents(history, operator)
    TaskRun.objects.bulk_create(history.runs, batch_size=1000)
    TaskAttempt.objects.bulk_create(history.attempts, batch_size=1000)
    PeriodicRun.objects.bulk_create(periodic, batch_size=1000, ignore_conflicts=True)
    _audit(now, operator, history.runs)
    return len(history.runs)


def _consumers(now: dt.datetime) -> None:
    for consumer, started, seen, stopped in CONSUMERS:
        last_seen = now - dt.timedelta(days=seen)
        WorkerHeartbeat.objects.get_or_create(
            consumer=consumer,
            defaults={
                "host": consumer.split(":")[0],
                "pid": int(consumer.split(":")[1]),
                "workers": 4,
                "version": "huey 3.5",
                "started_at": now - dt.timedelta(days=started),
                "last_seen": last_seen,
                "stopped_at": last_seen if stopped else None,
            },
        )


def _consumer_at(moment: dt.datetime, now: dt.datetime) -> str:
    """The consumer that was alive then (they took over from one another)."""
    for consumer, _started, seen, _stopped in CONSUMERS:
        if moment <= now - dt.timedelta(days=seen):
            return consumer
    return CONSUMERS[-1][0]


# How far back each kind of job's periods go (the task history itself keeps 30 days).
PERIODIC_DAYS = {"minute": MINUTE_JOB_HOURS / 24, "hour": 30, "day": 90, "week": 90, "month": 90}


def _triggers(spec: JobSpec, until: dt.datetime) -> list[dt.datetime]:
    """The job's trigger times, one per period: the same time a period later when the
    schedule has it (most do), otherwise the next match minute by minute."""
    since = until - dt.timedelta(days=PERIODIC_DAYS[spec.period])
    moments, moment = [], spec.next_run(since)
    while moment is not None and moment < until:
        moments.append(moment)
        period = period_containing(spec.period, moment)
        candidate = period.shift(1).start + (moment - period.start)
        moment = candidate if spec.matches(candidate) else spec.next_run(moment)
    return moments


def _periodic_history(history, name, spec: JobSpec, since, periodic) -> None:
    """One run per period, as the consumers' schedulers claimed them. The last two minutes are
    left to the real consumer (its scheduler may still enqueue them); task runs are kept for
    the history's retention window only, as the history_retention job would."""
    rng, now = history.rng, history.now
    triggers = _triggers(spec, now - dt.timedelta(minutes=2))
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
        periodic.append(
            PeriodicRun(
                job=name,
                period_key=period.key,
                period_start=period.start,
                period_end=period.end,
                status="failed" if failure else "succeeded",
                task_id=run.task_id,
                consumer=run.consumer,
                started_at=run.started_at,
                finished_at=run.finished_at,
                error=run.error,
                result=result or {},
            )
        )


def _result(rng, name: str) -> dict:
    return {
        "reaper": {"lost": 0, "requeued": 0},
        "outbox_sweep": {"requeued": rng.choice([0, 0, 0, 1])},
        "analytics_hourly": {"rows": rng.randint(8, 30)},
        "daily_digest": {"sent": rng.randint(2, 6)},
        "history_retention": {"deleted": rng.randint(200, 900)},
    }.get(name, {})


class History:
    """The task runs and attempts being written, and how they are made up."""

    def __init__(self, rng: random.Random, now: dt.datetime):
        self.rng, self.now = rng, now
        self.runs: list[TaskRun] = []
        self.attempts: list[TaskAttempt] = []

    def run(
        self, name, created, *, median=0.8, failure=None, tries=1, keep=True, **fields
    ) -> TaskRun:
        """A task that ran `tries` times (each but the last failed when `failure` is given,
        the last too), with one attempt row per try."""
        rng = self.rng
        task_id = str(uuid.UUID(int=rng.getrandbits(128)))
        consumer = _consumer_at(created, self.now)
        start, tries_made = created + dt.timedelta(milliseconds=rng.randint(20, 400)), []
        for number in range(1, tries + 1):
            duration = round(median * rng.lognormvariate(0, 0.35), 3)
            failed = failure is not None and (number < tries or fields.get("state") != "complete")
            tries_made.append(
                self._attempt(
                    task_id, number, consumer, start, duration, failure if failed else None
                )
            )
            start += dt.timedelta(seconds=duration + 10 * number)
        last = tries_made[-1]
        run = TaskRun(
            task_id=task_id,
            name=name,
            queue="summasaas",
            args=fields.pop("args", []),
            kwargs=fields.pop("kwargs", {}),
            state=fields.pop("state", "error" if failure else "complete"),
            attempt=tries,
            enqueued_at=created,
            started_at=tries_made[0].started_at,
            finished_at=last.finished_at,
            duration=last.duration,
            error=last.error,
            enqueued_by="demo",
            consumer=consumer,
            created_at=created,
            updated_at=last.finished_at or created,
            **fields,
        )
        if keep:
            self.runs.append(run)
            self.attempts += tries_made
        return run

    @staticmethod
    def _attempt(task_id, number, consumer, start, duration, failure) -> TaskAttempt:
        error, traceback = "", ""
        if failure:
            message, module, line, function, call = failure
            error = message
            traceback = TRACEBACK.format(
                module=module, line=line, function=function, call=call, error=message
            )
        return TaskAttempt(
            task_id=task_id,
            number=number,
            consumer=consumer,
            state="error" if failure else "complete",
            started_at=start,
            finished_at=start + dt.timedelta(seconds=duration),
            error=error,
            traceback=traceback,
        )


DELIVERY_FAILURE = (
    "SMTPServerDisconnected: 421 4.7.0 Try again later",
    "mail",
    31,
    "email_deliver_task",
    "email_deliver(email_id=email_id)",
)
MODEL_TIMEOUT = (
    "TimeoutError: the model did not answer within 30 s",
    "summaries",
    18,
    "summarization_request_process_task",
    "summarization_request_process(request_id=request_id)",
)


def _email_tasks(history: History, since: dt.datetime) -> None:
    """One delivery task per email; the failed ones kept retrying, then gave up."""
    emails = OutboundEmail.objects.filter(created_at__gte=since, dedupe_key__startswith="demo:")
    for email in emails.only("pk", "status", "created_at", "attempts"):
        failed = email.status == "failed"
        history.run(
            "apps.mail.tasks.email_deliver_task",
            email.created_at,
            median=0.45,
            failure=DELIVERY_FAILURE if failed else None,
            args=[email.pk],
            tries=email.attempts if failed else 1,
        )


def _summary_tasks(history: History, since: dt.datetime) -> None:
    """One processing task per summarization request; failures were tried four times."""
    requests = SummarizationRequest.objects.filter(created_at__gte=since).only(
        "pk", "status", "created_at"
    )
    for request in requests:
        failed = request.status == "failed"
        history.run(
            "apps.summaries.tasks.summarization_request_process_task",
            request.created_at,
            median=2.4,
            failure=MODEL_TIMEOUT if failed else None,
            args=[request.pk],
            tries=4 if failed else 1,
        )


def _incidents(history: History, operator: User | None) -> None:
    """The stories an operator meets: a run lost with its consumer and run again, a failure
    retried by hand, a fresh failure still to fix, a revoked task."""
    now, who = history.now, operator.email if operator else ""
    died = now - dt.timedelta(days=CONSUMERS[1][2])
    rerun = history.run(
        "apps.summaries.tasks.summarization_request_process_task",
        died - dt.timedelta(seconds=20),
        median=2.4,
        args=[999_001],
        tries=2,
        note="Attempt 1 was lost with its consumer; run again (idempotent).",
    )
    lost = history.run(
        "apps.mail.tasks.email_deliver_task",
        died - dt.timedelta(seconds=5),
        args=[999_004],
        state="lost",
        note="Lost with its consumer; not run again (not idempotent).",
    )
    lost.finished_at = lost.duration = None
    for attempt in history.attempts:
        if (attempt.task_id, attempt.number) in ((rerun.task_id, 1), (lost.task_id, 1)):
            attempt.state, attempt.finished_at, attempt.consumer = "lost", None, CONSUMERS[1][0]
    lost.consumer = CONSUMERS[1][0]
    failed = history.run(
        "apps.mail.tasks.email_deliver_task",
        now - dt.timedelta(hours=5),
        failure=DELIVERY_FAILURE,
        args=[999_002],
        tries=6,
    )
    history.run(
        failed.name,
        now - dt.timedelta(hours=4, minutes=40),
        args=[999_002],
        retry_of=failed.task_id,
        requested_by=who,
    )
    history.run(
        failed.name,
        now - dt.timedelta(minutes=25),
        failure=DELIVERY_FAILURE,
        args=[999_003],
        tries=6,
    )
    revoked = history.run(
        "apps.jobs.tasks.jobs_canary_task",
        now - dt.timedelta(days=2),
        kwargs={"seconds": 600},
        state="revoked",
        requested_by=who,
    )
    revoked.started_at = revoked.finished_at = revoked.duration = None
    history.attempts = [a for a in history.attempts if a.task_id != revoked.task_id]


def _audit(now: dt.datetime, operator: User | None, runs: list[TaskRun]) -> None:
    if operator is None:
        return
    retried = next(r for r in runs if r.retry_of and r.requested_by)
    revoked = next(r for r in runs if r.state == "revoked")
    entries = [
        (
            "task.retry",
            retried.created_at,
            "jobs.TaskRun",
            retried,
            {"state": "error"},
            {"task_id": retried.task_id},
            "",
        ),
        (
            "task.revoke",
            revoked.created_at + dt.timedelta(seconds=30),
            "jobs.TaskRun",
            revoked,
            {"state": "scheduled"},
            None,
            "",
        ),
        (
            "job.pause",
            now - dt.timedelta(days=9, hours=2),
            "",
            None,
            {"paused": False},
            {"paused": True},
            "daily_digest",
        ),
        (
            "job.resume",
            now - dt.timedelta(days=8, hours=20),
            "",
            None,
            {"paused": True},
            {"paused": False},
            "daily_digest",
        ),
        (
            "lock.clear",
            now - dt.timedelta(days=1, hours=3),
            "",
            None,
            {"requested": ["usage_reports"]},
            {"cleared": ["usage_reports"]},
            "usage_reports",
        ),
    ]
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=operator,
            actor_email=operator.email,
            action=action,
            created_at=at,
            target_type=kind,
            target_id=str(target.pk or "") if target else "",
            target_repr=str(target)[:300] if target else "",
            before=before,
            after=after,
            note=note,
        )
        for action, at, kind, target, before, after, note in entries
    )
