"""Ops alerts: staff get one email per job and hour when a task fails its last retry or a
periodic job misses (or fails) its period. The outbox's dedupe key does the grouping."""

import datetime as dt
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.jobs.periodic import spec_for_task
from apps.jobs.selectors import schedules_with_problems
from apps.mail.services import send_email

logger = logging.getLogger("apps.console")
TEMPLATE_KEY = "ops_alert"


def ops_alert_send(
    *, job: str, hour: dt.datetime, what: str, summary: str, details: str, filters: dict
) -> list:
    """Email every address in OPS_ALERT_RECIPIENTS once for (job, hour); the outbox rows."""
    hour = hour.replace(minute=0, second=0, microsecond=0)
    list_url = f"{settings.SITE_URL}{reverse('admin:jobs_taskrun_changelist')}?" + urlencode(
        filters
    )
    context = {
        "job": job,
        "what": what,
        "hour": f"{hour:%Y-%m-%d %H:00}",
        "summary": summary,
        "details": details[:1000],
        "list_url": list_url,
        "console_url": f"{settings.SITE_URL}{reverse('admin:index')}",
    }
    return [
        send_email(
            template_key=TEMPLATE_KEY,
            to=address,
            context=context,
            dedupe_key=f"ops-alert:{job}:{hour:%Y-%m-%dT%H}:{address}",
        )
        for address in settings.OPS_ALERT_RECIPIENTS
    ]


def _hour_filters(name: str, hour: dt.datetime) -> dict:
    return {
        "task": name,
        "created_at_from_0": f"{hour:%Y-%m-%d}",
        "created_at_from_1": f"{hour:%H}:00:00",
        "created_at_to_0": f"{hour:%Y-%m-%d}",
        "created_at_to_1": f"{hour:%H}:59:59",
    }


def on_task_error(signal: str, task, exc: BaseException | None = None) -> None:
    """huey's error and timeout signals: alert when this was the last attempt (no retry left)."""
    if task.retries or not settings.OPS_ALERT_RECIPIENTS:
        return
    try:
        spec = spec_for_task(task)
        name = f"{type(task).__module__}.{type(task).__name__}"
        hour = timezone.now()
        attempts = type(task).default_retries + 1
        with transaction.atomic():
            ops_alert_send(
                job=spec.name if spec else name,
                hour=hour,
                what="failed its last retry",
                summary=f"{name} (task {task.id}) failed after {attempts} attempt(s).",
                details=repr(exc) if exc is not None else f"huey signal: {signal}",
                filters={**_hour_filters(name, hour), "state__exact": "error"},
            )
    except Exception:  # an alert must never break the worker that raised it
        logger.exception("could not send the ops alert for task %s", task.id)


def late_jobs_alert(*, now: dt.datetime | None = None) -> list[str]:
    """Alert about every periodic job that missed or failed its last period; their names."""
    alerted = []
    for job in schedules_with_problems(now=now):
        trigger = job.expected_trigger
        what = "missed its period" if job.problem == "missed" else "failed its period"
        ops_alert_send(
            job=job.name,
            hour=trigger,
            what=what,
            summary=f"{job.name} ({job.words}) has no successful run for {job.expected_period}.",
            details=f"Expected a run for period {job.expected_period}, triggered at "
            f"{trigger:%Y-%m-%d %H:%M} UTC; status: {job.problem}.",
            filters={"job": job.name},
        )
        alerted.append(job.name)
    return alerted
