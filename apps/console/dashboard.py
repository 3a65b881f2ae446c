"""The console's start page (unfold's DASHBOARD_CALLBACK): figures from the selectors, each
one linking to the list it summarizes."""

import datetime as dt
import json
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.jobs.selectors import broker_warnings, schedules_with_problems

from .selectors import (
    FAILED_STATES,
    api_requests_per_day,
    consumers_overview,
    emails_per_day,
    organizations_near_quota,
    slowest_tasks,
    task_runs_per_hour,
)
from .words import task_label

RED, GREEN, ORANGE = "#dc2626", "#16a34a", "#f97316"
PRIMARY = "var(--color-primary-600)"


def task_list_url(**filters) -> str:
    """The task history filtered like the figure that links to it."""
    url = reverse("admin:jobs_taskrun_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def created_since(start: dt.datetime) -> dict[str, str]:
    return {"created_at_from_0": f"{start:%Y-%m-%d}", "created_at_from_1": f"{start:%H:%M:%S}"}


def _queue_depth() -> dict:
    try:
        return {"pending": HUEY.pending_count(), "scheduled": HUEY.scheduled_count(), "ok": True}
    except Exception as exc:  # the broker being down is itself the figure to show
        return {"pending": "?", "scheduled": "?", "ok": False, "error": str(exc)}


def _tasks(now: dt.datetime) -> dict:
    series = task_runs_per_hour(now=now)
    start = series[0]["hour"]
    chart = {
        "labels": [f"{row['hour']:%H:00}" for row in series],
        "datasets": [
            # Drawn over each other (unfold's bars are not grouped): failures in front.
            {"label": "Failures", "data": [r["failed"] for r in series], "backgroundColor": RED},
            {"label": "Tasks", "data": [r["total"] for r in series], "backgroundColor": PRIMARY},
        ],
    }
    window = created_since(start)
    return {
        "chart": json.dumps(chart),
        "total": sum(r["total"] for r in series),
        "failed": sum(r["failed"] for r in series),
        "url": task_list_url(**window),
        # Every failed state the count includes, so the list shows exactly what was counted.
        "failed_url": task_list_url(state__in=",".join(FAILED_STATES), **window),
    }


def _slowest(now: dt.datetime) -> list[dict]:
    window = created_since(now - dt.timedelta(hours=24))
    return [
        {
            **row,
            "short": task_label(row["name"]),
            "url": task_list_url(task=row["name"], **window),
        }
        for row in slowest_tasks(now=now)
    ]


def _emails() -> dict:
    days = emails_per_day()
    chart = {
        "labels": [f"{d['day']:%d %b}" for d in days],
        "datasets": [
            {"label": "Complained", "data": [d["complained"] for d in days],
             "backgroundColor": RED},
            {"label": "Bounced", "data": [d["bounced"] for d in days], "backgroundColor": ORANGE},
            {"label": "Sent", "data": [d["sent"] for d in days], "backgroundColor": PRIMARY},
        ],
    }  # fmt: skip
    outbox = reverse("admin:mail_outboundemail_changelist")
    events = reverse("admin:mail_emailevent_changelist")
    return {
        "chart": json.dumps(chart),
        "sent": sum(d["sent"] for d in days),
        "bounced": sum(d["bounced"] for d in days),
        "complained": sum(d["complained"] for d in days),
        "sent_url": f"{outbox}?status__exact=sent",
        "bounced_url": f"{events}?event_type__exact=bounced",
        "complained_url": f"{events}?event_type__exact=complained",
    }


def _api() -> dict:
    days = api_requests_per_day()
    chart = {
        "labels": [f"{d['day']:%d %b}" for d in days],
        "datasets": [
            {"label": "Requests", "data": [d["requests"] for d in days],
             "backgroundColor": PRIMARY},
        ],
    }  # fmt: skip
    return {
        "chart": json.dumps(chart),
        "days": days[::-1][:7],
        "url": reverse("admin:analytics_dailyrollup_changelist"),
    }


def _quota() -> list[dict]:
    return [
        {
            "record": record,
            "share": round(record.share, 1),
            "url": reverse("admin:billing_usagerecord_change", args=[record.pk]),
        }
        for record in organizations_near_quota()
    ]


def dashboard_callback(request, context: dict) -> dict:
    """Add the dashboard's figures to the admin index context."""
    now = timezone.now()
    consumers = consumers_overview(now=now)
    problems = schedules_with_problems()
    context.update(
        {
            "title": "Dashboard",
            "tasks": _tasks(now),
            "queue": _queue_depth(),
            "broker_warnings": broker_warnings(),
            "queue_url": task_list_url(state__exact="enqueued"),
            "slowest": _slowest(now),
            "emails": _emails(),
            "api": _api(),
            "quota": _quota(),
            "quota_title": "Organizations at 80 % of their quota or more",
            "quota_url": reverse("admin:billing_usagerecord_changelist")
            + "?closed_at__isnull=True",
            "problems": problems,
            "schedules_url": reverse("admin:jobs_schedules"),
            "periodic_url": reverse("admin:jobs_periodicrun_changelist"),
            "consumers_alive": sum(c.status == "alive" for c in consumers),
            "consumers_dead": sum(c.status == "dead" for c in consumers),
            "consumers_url": reverse("admin:jobs_workerheartbeat_changelist"),
            "generated_at": now,
        }
    )
    return context
