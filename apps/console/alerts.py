"""Ops alerts: one email per subject and hour to OPS_ALERT_RECIPIENTS, each naming what to click.

Subjects: a task that failed its last retry (huey's signal, at once); and, checked every five
minutes by the `ops_alerts` job and by `manage.py ops_alerts` (run it from cron too: with no
live consumer nothing else runs): runs marked lost, emails failed for good or left `unknown`,
a queue whose oldest waiting task waits too long, no live consumer, and periodic jobs that
missed or failed their period. The outbox's dedupe key does the grouping.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.jobs.adapter import task_name
from apps.jobs.selectors import oldest_waiting_task, schedules_with_problems
from apps.mail.selectors import emails_failed, emails_unknown
from apps.mail.services import send_email

from .selectors import consumers_overview, lost_runs_since

logger = logging.getLogger("apps.console")
ENQUEUED_AGAIN = "enqueued again as attempt"  # how a lost run's note says it runs again
TEMPLATE_KEY = "ops_alert"


@dataclass
class Alert:
    """One problem to tell the ops staff about (a subject is emailed once an hour)."""

    subject: str
    what: str
    summary: str
    details: str
    click: str  # what to click in the console, in words
    url: str  # ...and where that is (a console path with its filters)


def ops_alert_send(*, alert: Alert, hour: dt.datetime) -> list:
    """Email every address in OPS_ALERT_RECIPIENTS once for (subject, hour); the outbox rows."""
    hour = hour.replace(minute=0, second=0, microsecond=0)
    context = {
        "job": alert.subject,
        "what": alert.what,
        "hour": f"{hour:%Y-%m-%d %H:00}",
        "summary": alert.summary,
        "details": alert.details[:1000],
        "click": alert.click,
        "list_url": f"{settings.SITE_URL}{alert.url}",
        "console_url": f"{settings.SITE_URL}{reverse('admin:index')}",
    }
    return [
        send_email(
            template_key=TEMPLATE_KEY,
            to=address,
            context=context,
            dedupe_key=f"ops-alert:{alert.subject}:{hour:%Y-%m-%dT%H}:{address}",
        )
        for address in settings.OPS_ALERT_RECIPIENTS
    ]


def _url(name: str, **filters) -> str:
    return reverse(name) + (f"?{urlencode(filters)}" if filters else "")


def _hour_filters(hour: dt.datetime) -> dict:
    return {
        "created_at_from_0": f"{hour:%Y-%m-%d}",
        "created_at_from_1": f"{hour:%H}:00:00",
        "created_at_to_0": f"{hour:%Y-%m-%d}",
        "created_at_to_1": f"{hour:%H}:59:59",
        "created_at_zone": "UTC",  # read as UTC whatever zone the reader's console shows
    }


def on_task_error(signal: str, task, exc: BaseException | None = None) -> None:
    """huey's error and timeout signals: alert when this was the last attempt (no retry left)."""
    if task.retries or not settings.OPS_ALERT_RECIPIENTS:
        return
    try:
        name, hour = task_name(task), timezone.now()
        alert = Alert(
            subject=getattr(type(task), "job_name", "") or name,
            what="failed its last retry",
            summary=f"{name} (task {task.id}) failed on its attempt {getattr(task, 'attempt', 1)}.",
            details=repr(exc) if exc is not None else f"huey signal: {signal}",
            click="Task history, filtered on this task's failures of the hour",
            url=_url(
                "admin:jobs_taskrun_changelist",
                task=name,
                state__exact="error",
                **_hour_filters(hour),
            ),
        )
        with transaction.atomic():
            ops_alert_send(alert=alert, hour=hour)
    except Exception:  # an alert must never break the worker that raised it
        logger.exception("could not send the ops alert for task %s", task.id)


def late_jobs_alert(*, now: dt.datetime | None = None) -> list[str]:
    """Alert about every periodic job that missed or failed its last period; their names."""
    alerted = []
    for job in schedules_with_problems(now=now):
        alert = Alert(
            subject=job.name,
            what="missed its period" if job.problem == "missed" else "failed its period",
            summary=f"{job.name} ({job.words}) has no successful run for {job.expected_period}.",
            details=f"Expected a run for period {job.expected_period}, triggered at "
            f"{job.expected_trigger:%Y-%m-%d %H:%M} UTC; status: {job.problem}.",
            click=f"Schedules: {job.name}, then Run now once its cause is fixed",
            url=_url("admin:jobs_schedules"),
        )
        ops_alert_send(alert=alert, hour=job.expected_trigger)
        alerted.append(job.name)
    return alerted


def alerts_check(*, now: dt.datetime | None = None) -> list[str]:
    """Send every alert due now (grouped per subject and hour); the subjects alerted."""
    now = now or timezone.now()
    if not settings.OPS_ALERT_RECIPIENTS:
        return []
    hour = now.replace(minute=0, second=0, microsecond=0)
    found = [
        _lost_runs(hour),
        _emails_failed(hour),
        _emails_unknown(hour),
        _queue_backlog(now),
        _no_consumer(now),
    ]
    alerts = [alert for alert in found if alert is not None]
    for alert in alerts:
        ops_alert_send(alert=alert, hour=now)
    return [alert.subject for alert in alerts] + late_jobs_alert(now=now)


def _lost_runs(hour: dt.datetime) -> Alert | None:
    lost = lost_runs_since(since=hour)
    if not lost:
        return None
    consumers = sorted({run.consumer for run in lost})
    again = sum(ENQUEUED_AGAIN in run.note for run in lost)
    return Alert(
        subject="lost runs",
        what=f"{len(lost)} run(s) lost with their consumer",
        summary=f"{len(lost)} run(s) were marked lost this hour: their consumer "
        f"({', '.join(consumers)[:300]}) stopped mid-run.",
        details=f"{_again(again, len(lost))} First: {lost[0].short_name} {lost[0].task_id}.",
        click="Task history, State: Lost (open each one: its note says what happened next)",
        url=_url("admin:jobs_taskrun_changelist", state__exact="lost"),
    )


def on_broker_lost_runs(sender, *, lost: int, requeued: int, reason: str, task_ids, **kwargs):
    """The reconciliation found waiting tasks the broker lost: alert at once (once an hour)."""
    if not settings.OPS_ALERT_RECIPIENTS:
        return
    alert = Alert(
        subject="broker lost tasks",
        what=f"{lost} waiting task(s) vanished from the broker",
        summary=f"{lost} task(s) the history showed waiting were no longer in the broker: "
        f"{reason}.",
        details=f"{_again(requeued, lost)} Production Redis must run with `appendonly yes` "
        f"(see the README): without it a restart loses every queued task. First: {task_ids[0]}.",
        click="Task history, State: Lost (each run's note says whether it was enqueued again)",
        url=_url("admin:jobs_taskrun_changelist", state__exact="lost"),
    )
    try:
        with transaction.atomic():
            ops_alert_send(alert=alert, hour=timezone.now())
    except Exception:  # the runs are settled; an alert that fails must not undo that
        logger.exception("could not send the broker-lost-tasks alert")


def _again(again: int, lost: int) -> str:
    if again == lost:
        return "Each was declared idempotent and enqueued again."
    if not again:
        return "None was enqueued again (none is declared idempotent, or each ran out of tries)."
    return f"{again} (declared idempotent) were enqueued again; {lost - again} were not."


def _emails_failed(hour: dt.datetime) -> Alert | None:
    failed = list(emails_failed(since=hour)[:50])
    if not failed:
        return None
    return Alert(
        subject="emails failed",
        what=f"{len(failed)} email(s) failed for good",
        summary=f"{len(failed)} email(s) gave up this hour, e.g. #{failed[0].pk} to "
        f"{failed[0].to} ({failed[0].template_key}).",
        details=failed[0].last_error or "see the outbox",
        click="Outbox, Status: Failed (Retry once the cause is fixed)",
        url=_url("admin:mail_outboundemail_changelist", status__exact="failed"),
    )


def _emails_unknown(hour: dt.datetime) -> Alert | None:
    unknown = list(emails_unknown(since=hour)[:50])
    if not unknown:
        return None
    return Alert(
        subject="emails unknown",
        what=f"{len(unknown)} email(s) interrupted mid-send",
        summary=f"{len(unknown)} email(s) may or may not have reached their recipient, "
        f"e.g. #{unknown[0].pk} to {unknown[0].to}.",
        details="Their consumer died while sending. Resend them, or mark them sent if they "
        "arrived: nothing sends them again by itself.",
        click="Outbox, Status: Unknown, then Resend or Mark sent",
        url=_url("admin:mail_outboundemail_changelist", status__exact="unknown"),
    )


def _queue_backlog(now: dt.datetime) -> Alert | None:
    oldest = oldest_waiting_task()
    if oldest is None or oldest.enqueued_at is None:
        return None
    waited = (now - oldest.enqueued_at).total_seconds()
    if waited < settings.OPS_QUEUE_MAX_WAIT_SECONDS:
        return None
    return Alert(
        subject="queue backlog",
        what=f"oldest task waiting {waited / 60:.0f} min",
        summary=f"The oldest waiting task ({oldest.short_name} {oldest.task_id}) was enqueued "
        f"{waited / 60:.0f} minutes ago: consumers do not keep up, or none takes tasks.",
        details=f"Threshold: OPS_QUEUE_MAX_WAIT_SECONDS={settings.OPS_QUEUE_MAX_WAIT_SECONDS}.",
        click="Consumers (are they alive and busy?), then Task history, State: Enqueued",
        url=_url("admin:jobs_workerheartbeat_changelist"),
    )


def _no_consumer(now: dt.datetime) -> Alert | None:
    consumers = consumers_overview(now=now)
    if any(consumer.status == "alive" for consumer in consumers):
        return None
    last = max((c.beat.last_seen for c in consumers), default=None)
    return Alert(
        subject="no consumer",
        what="no live consumer",
        summary="No consumer has sent a heartbeat recently: no task and no periodic job runs.",
        details=f"Last heartbeat: {last:%Y-%m-%d %H:%M} UTC." if last else "None ever.",
        click="Consumers; then start `manage.py run_huey` (fly: fly scale count worker=1)",
        url=_url("admin:jobs_workerheartbeat_changelist"),
    )
