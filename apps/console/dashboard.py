"""The console's start page (unfold's DASHBOARD_CALLBACK): figures from the selectors, each
one linking to the list it summarizes."""

import datetime as dt
import json
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.jobs.latency.figures import latency_overview
from apps.jobs.selectors import broker_warnings, schedules_with_problems

from .jobs.latency import dashboard_latency, duration_words, latency_url
from .selectors import (
    FAILED_STATES,
    api_requests_per_day,
    consumers_overview,
    emails_per_day,
    organizations_near_quota,
    task_runs_per_hour,
)
from .words import task_label

RED, GREEN, ORANGE = "#dc2626", "#16a34a", "#f97316"
PRIMARY = "var(--color-primary-600)"


def task_list_url(**filters) -> str:
    """The task history filtered like the figure that links to it."""
    url = reverse("admin:jobs_taskrun_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def created_since(start: dt.datetime, field: str = "created_at") -> dict[str, str]:
    """The list's date filter from `start`, written in the operator's time zone (the filter
    reads it in that zone)."""
    start = timezone.localtime(start)
    return {f"{field}_from_0": f"{start:%Y-%m-%d}", f"{field}_from_1": f"{start:%H:%M:%S}"}


PEEK = 1000  # queued tasks read to find those due later (a longer queue is counted, not read)


def _queue_depth() -> dict:
    """What the broker holds: tasks ready to run now, and tasks due later (the schedule, and
    tasks enqueued with a later time that no consumer has moved to the schedule yet, which huey
    counts as pending)."""
    try:
        pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None) if HUEY.utc else dt.datetime.now()
        later = sum(1 for task in HUEY.pending(limit=PEEK) if task.eta and task.eta > now)
    except Exception as exc:  # the broker being down is itself the figure to show
        return {"pending": "?", "scheduled": "?", "ok": False, "error": str(exc)}
    return {
        "pending": pending - later,
        "scheduled": scheduled + later,
        "ok": True,
        "partial": pending > PEEK,
    }


def _tasks(now: dt.datetime) -> dict:
    series = task_runs_per_hour(now=now)
    start = series[0]["hour"]
    hours = [f"{timezone.localtime(row['hour']):%H:%M}" for row in series]
    # Failures on their own axis (right, red): 3 among 500 tasks are a full bar, not a sliver
    # under the tasks'.
    bars = [
        ("Tasks", "total", PRIMARY, {"yAxisID": "y"}),
        ("Failures", "failed", RED, {"yAxisID": "failures"}),
    ]
    window = created_since(start)
    return {
        "chart": _bar_chart(hours, series, bars),
        "options": json.dumps(_two_axes(max((r["failed"] for r in series), default=0))),
        "total": sum(r["total"] for r in series),
        "failed": sum(r["failed"] for r in series),
        "url": task_list_url(**window),
        # Every failed state the count includes, so the list shows exactly what was counted.
        "failed_url": task_list_url(state__in=",".join(FAILED_STATES), **window),
    }


def _bar_chart(labels: list[str], rows: list[dict], bars) -> str:
    """Chart.js data as JSON: a bar dataset for each (label, key of `rows`, colour, options)."""
    datasets = [
        {"label": label, "data": [row[key] for row in rows], "backgroundColor": colour, **options}
        for label, key, colour, options in bars
    ]
    return json.dumps({"labels": labels, "datasets": datasets})


def _day_labels(days: list[dict]) -> list[str]:
    return [f"{d['day']:%d %b}" for d in days]


def _two_axes(failures_max: int) -> dict:
    """Chart.js options for tasks (left axis) and failures (right axis, its own scale)."""
    grey = "#9ca3af"
    return {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "datasets": {"bar": {"borderRadius": 4, "maxBarThickness": 8, "categoryPercentage": 0.7}},
        "plugins": {"legend": {"display": False}, "tooltip": {"enabled": True}},
        "scales": {
            "x": {"grid": {"display": False}, "ticks": {"color": grey, "maxTicksLimit": 12}},
            "y": {
                "beginAtZero": True,
                "ticks": {"color": grey, "precision": 0},
                "grid": {"color": "rgba(156,163,175,0.2)"},
            },
            "failures": {
                "position": "right",
                "beginAtZero": True,
                "suggestedMax": max(failures_max, 1),
                "grid": {"display": False},
                "ticks": {"color": RED, "precision": 0},
            },
        },
    }


def _slowest(overview, limit: int = 5) -> list[dict]:
    """The tasks whose runs took longest over the last 24 hours, by p95 (from the latency
    summary, not a day of history), each linked to its percentiles and slowest runs."""
    day = overview.windows["day"]
    ranked = sorted(day.values(), key=lambda latency: -(latency.run("p95") or 0))[:limit]
    return [
        {
            "name": latency.name,
            "short": task_label(latency.name),
            "runs": latency.runs,
            "p50": duration_words(latency.run("p50")),
            "p95": duration_words(latency.run("p95")),
            "url": latency_url(latency.name),
        }
        for latency in ranked
        if latency.runs
    ]


def _emails() -> dict:
    days = emails_per_day()
    since = days[0]["start"]
    bars = [
        ("Complained", "complained", RED, {}),
        ("Bounced", "bounced", ORANGE, {}),
        ("Sent", "sent", PRIMARY, {}),
    ]
    chart = _bar_chart(_day_labels(days), days, bars)
    # Each figure links to its list filtered to exactly what it counts: the same window on
    # the same column (emails by when they were queued, events by when they arrived).
    outbox = reverse("admin:mail_outboundemail_changelist")
    events = reverse("admin:mail_emailevent_changelist")
    emails_since, events_since = created_since(since), created_since(since, "received_at")

    def link(base: str, window: dict, **filters) -> str:
        return f"{base}?{urlencode({**filters, **window})}"

    return {
        "chart": chart,
        **{
            key: sum(d[key] for d in days)
            for key in ("sent", "bounced", "complained", "failed", "unknown")
        },
        "sent_url": link(outbox, emails_since, status__exact="sent"),
        "failed_url": link(outbox, emails_since, status__exact="failed"),
        "unknown_url": link(outbox, emails_since, status__exact="unknown"),
        "bounced_url": link(events, events_since, event_type="bounced"),
        "complained_url": link(events, events_since, event_type="complained"),
    }


def _api() -> dict:
    days = api_requests_per_day()
    return {
        "chart": _bar_chart(_day_labels(days), days, [("Requests", "requests", PRIMARY, {})]),
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
    overview = latency_overview(now=now, slowest=False)  # the card shows no single run
    consumers = consumers_overview(now=now)
    problems = schedules_with_problems()
    context.update(
        {
            "title": "Dashboard",
            "tasks": _tasks(now),
            "queue": _queue_depth(),
            "broker_warnings": broker_warnings(),
            "queue_url": task_list_url(state__exact="enqueued"),
            "scheduled_url": task_list_url(state__in="scheduled,retrying"),
            "slowest": _slowest(overview),
            "latency": dashboard_latency(now, overview=overview),
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
