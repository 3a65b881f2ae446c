"""What the console reads: schedules, consumers and the dashboard's figures (no writes here)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from apps.analytics.models import DailyRollup
from apps.billing.models import UsageRecord
from apps.jobs.latency.figures import runs_created_per_hour
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reconcile import MISSING_NOTE
from apps.mail.models import EmailEvent, OutboundEmail

FAILED_STATES = [
    TaskRun.State.ERROR,
    TaskRun.State.TIMEOUT,
    TaskRun.State.LOST,
    TaskRun.State.INTERRUPTED,
]
PERIODIC_COLOURS = {
    "running": "warning",
    "succeeded": "success",
    "failed": "danger",
    "lost": "danger",
    "skipped": "info",
}


def lost_runs_since(*, since: dt.datetime, limit: int = 100) -> list[TaskRun]:
    """Runs the reaper marked lost with their consumer since `since`, newest first (those the
    broker itself lost are alerted by the reconciliation, at once)."""
    lost = TaskRun.objects.filter(state=TaskRun.State.LOST, updated_at__gte=since)
    lost = lost.exclude(note__startswith=MISSING_NOTE)
    fields = ("task_id", "name", "consumer", "note")
    return list(lost.only(*fields).order_by("-updated_at")[:limit])


# --- consumers ---------------------------------------------------------------------------


@dataclass
class Consumer:
    """A consumer process: its heartbeat, whether it is alive, and what it is running."""

    beat: WorkerHeartbeat
    age_seconds: float
    status: str  # alive, dead or stopped
    running: list[TaskRun]


def consumers_overview(*, now: dt.datetime | None = None, limit: int = 100) -> list[Consumer]:
    """Consumers seen recently (newest first), each with the task runs executing on it."""
    now = now or timezone.now()
    dead_after = settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS
    beats = list(WorkerHeartbeat.objects.order_by("stopped_at", "-last_seen")[:limit])
    running: dict[str, list[TaskRun]] = {}
    executing = TaskRun.objects.filter(
        state=TaskRun.State.EXECUTING, consumer__in=[b.consumer for b in beats]
    ).only("pk", "task_id", "name", "started_at", "consumer", "attempt", "periodic_job")
    for run in executing.order_by("started_at")[:1000]:
        running.setdefault(run.consumer, []).append(run)
    consumers = []
    for beat in beats:
        age = (now - beat.last_seen).total_seconds()
        status = "stopped" if beat.stopped_at else "dead" if age > dead_after else "alive"
        consumers.append(Consumer(beat, age, status, running.get(beat.consumer, [])))
    return consumers


# --- dashboard figures -------------------------------------------------------------------


def task_runs_per_hour(*, now: dt.datetime | None = None, hours: int = 24) -> list[dict]:
    """Runs created and runs failed in each of the last `hours` hours (oldest first).

    The totals come from the latency summary (the history only for hours it lacks, and this
    one); the failures from the history through its (state, created_at) index: exactly the
    runs the failures link lists."""
    now = now or timezone.now()
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        hours=hours - 1
    )
    totals = runs_created_per_hour(start=start, now=now)
    failed = dict(
        TaskRun.objects.filter(created_at__gte=start, state__in=FAILED_STATES)
        .annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
        .values("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
        .order_by()
    )
    series = []
    for i in range(hours):
        hour = start + dt.timedelta(hours=i)
        series.append({"hour": hour, "total": totals.get(hour, 0), "failed": failed.get(hour, 0)})
    return series


EMAIL_OUTCOMES = ("sent", "failed", "unknown")


def emails_per_day(*, today: dt.date | None = None, days: int = 14) -> list[dict]:
    """For each of the last `days` days (in the active time zone): emails queued that day and
    sent, failed or left unknown since, and bounces and complaints received that day.

    Each figure is counted on the column its list filters on (the outbox by `created_at`, the
    events by `received_at`), so a link shows exactly the rows counted."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    emails = {
        (row["day"], row["status"]): row["n"]
        for row in OutboundEmail.objects.filter(status__in=EMAIL_OUTCOMES, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    events: dict[tuple, int] = {
        (row["day"], row["event_type"]): row["n"]
        for row in EmailEvent.objects.filter(
            event_type__in=["bounced", "complained"], received_at__gte=since
        )
        .annotate(day=TruncDate("received_at"))
        .values("day", "event_type")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [
        {
            "day": day,
            "start": timezone.make_aware(dt.datetime.combine(day, dt.time.min)),
            **{status: emails.get((day, status), 0) for status in EMAIL_OUTCOMES},
            "bounced": events.get((day, "bounced"), 0),
            "complained": events.get((day, "complained"), 0),
        }
        for day in (start + dt.timedelta(days=i) for i in range(days))
    ]


def organizations_near_quota(*, threshold: int = 80, limit: int = 20) -> list[UsageRecord]:
    """Open usage records at or above `threshold` % of their limit, fullest first."""
    share = ExpressionWrapper(
        F("characters_used") * 100.0 / F("characters_limit"), output_field=FloatField()
    )
    return list(
        UsageRecord.objects.filter(closed_at__isnull=True, characters_limit__gt=0)
        .annotate(share=share)
        .filter(share__gte=threshold)
        .select_related("organization")
        .order_by("-share")[:limit]
    )


def api_requests_per_day(*, today: dt.date | None = None, days: int = 14) -> list[dict]:
    """API calls per day from the daily roll-ups: count, success rate and p95 (weighted)."""
    today = today or timezone.now().date()
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min, tzinfo=dt.UTC)
    rows = (
        DailyRollup.objects.filter(period_start__gte=since)
        .values("period_start")
        .annotate(
            requests=Sum("count"),
            succeeded=Sum("success_count"),
            p95_weighted=Sum(F("p95_ms") * F("count")),
        )
        .order_by("period_start")
    )
    return [
        {
            "day": row["period_start"].date(),
            "requests": row["requests"],
            "success_rate": round(100 * row["succeeded"] / row["requests"], 1)
            if row["requests"]
            else 0.0,
            "p95_ms": round(row["p95_weighted"] / row["requests"]) if row["requests"] else 0,
        }
        for row in rows
    ]
