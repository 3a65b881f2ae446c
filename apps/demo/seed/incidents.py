"""The demo's incidents, the stories an operator meets in the task history, and the
operators' actions on them in the audit trail."""

import datetime as dt

from apps.accounts.models import User
from apps.console.models import AuditEntry
from apps.jobs.models import TaskRun

from .history import CONSUMERS, DELIVERY_FAILURE, History


def incidents_seed(history: History, operator: User | None) -> None:
    """A run lost with its consumer and run again, a failure retried by hand, a fresh failure
    still to fix, a revoked task."""
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


def audit_seed(now: dt.datetime, operator: User | None, runs: list[TaskRun]) -> None:
    """The operator's retry and revoke of the incidents above, and a pause, resume and lock
    clear on the periodic jobs; nothing without an operator."""
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
