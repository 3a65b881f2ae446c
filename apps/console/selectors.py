"""What the console reads: schedules, consumers and the dashboard's figures (no writes here)."""

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from apps.analytics.models import DailyRollup
from apps.billing.models import UsageRecord
from apps.jobs import clock
from apps.jobs.models import PeriodicJobState, PeriodicRun, TaskRun, WorkerHeartbeat
from apps.jobs.periodic import REGISTRY, JobSpec
from apps.mail.models import EmailEvent, OutboundEmail

from .cron import cron_describe, cron_next, cron_previous

FAILED_STATES = [
    TaskRun.State.ERROR,
    TaskRun.State.TIMEOUT,
    TaskRun.State.LOST,
    TaskRun.State.INTERRUPTED,
]
RECENT_RUNS = 12
PERIODIC_COLOURS = {
    "running": "warning", "succeeded": "success", "failed": "danger", "lost": "danger",
    "skipped": "info",
}  # fmt: skip


@dataclass
class Schedule:
    """A periodic job as the schedules page shows it."""

    name: str
    description: str
    crontab: str
    words: str
    period: str
    paused: bool
    next_run: dt.datetime | None
    recent: list[PeriodicRun] = field(default_factory=list)
    problem: str = ""  # "", "missed" or "failed": the last period it should have covered
    expected_period: str = ""
    expected_trigger: dt.datetime | None = None

    @property
    def last_run(self) -> PeriodicRun | None:
        return self.recent[0] if self.recent else None

    @property
    def recent_oldest_first(self) -> list[PeriodicRun]:
        return self.recent[::-1]

    @property
    def last_colour(self) -> str:
        return PERIODIC_COLOURS.get(self.last_run.status, "") if self.last_run else ""


def schedules_overview(*, now: dt.datetime | None = None) -> list[Schedule]:
    """Every declared periodic job: schedule in words, next run, recent runs, late or failed."""
    now = now or clock.now()
    paused = set(PeriodicJobState.objects.filter(paused=True).values_list("job", flat=True))
    first_seen = WorkerHeartbeat.objects.aggregate(first=Min("started_at"))["first"]
    rows = [_schedule(name, spec, now, name in paused) for name, spec in sorted(REGISTRY.items())]
    expected = {row.name: _expected_trigger(REGISTRY[row.name], now) for row in rows}
    wanted = {
        row.name: REGISTRY[row.name].period_for(expected[row.name]).key
        for row in rows
        if expected[row.name] is not None
    }
    found = _runs_for(wanted)
    for row in rows:
        trigger = expected[row.name]
        if row.paused or trigger is None or not (row.recent or _seen(first_seen, trigger)):
            continue
        row.expected_period = wanted[row.name]
        row.expected_trigger = trigger
        run = found.get((row.name, row.expected_period))
        if run is None:
            row.problem = "missed"
        elif run.status in (PeriodicRun.Status.FAILED, PeriodicRun.Status.LOST):
            row.problem = "failed"
    return rows


def _schedule(name: str, spec: JobSpec, now: dt.datetime, paused: bool) -> Schedule:
    recent = list(PeriodicRun.objects.filter(job=name).order_by("-started_at")[:RECENT_RUNS])
    return Schedule(
        name=name,
        description=spec.description,
        crontab=spec.schedule,
        words=cron_describe(spec.schedule),
        period=spec.period,
        paused=paused,
        next_run=cron_next(spec.schedule, now),
        recent=recent,
    )


def _expected_trigger(spec: JobSpec, now: dt.datetime) -> dt.datetime | None:
    """The last trigger whose run should be over by now (a grace period after it)."""
    grace = dt.timedelta(seconds=settings.OPS_LATE_AFTER_SECONDS)
    return cron_previous(spec.schedule, now - grace)


def _seen(first_seen: dt.datetime | None, trigger: dt.datetime) -> bool:
    # A period before any consumer ever ran is not "missed": the system was not there yet.
    return first_seen is not None and first_seen <= trigger


def _runs_for(wanted: dict[str, str]) -> dict[tuple[str, str], PeriodicRun]:
    if not wanted:
        return {}
    match = functools.reduce(
        operator.or_, (Q(job=job, period_key=key) for job, key in wanted.items())
    )
    return {(r.job, r.period_key): r for r in PeriodicRun.objects.filter(match)}


def schedules_with_problems(*, now: dt.datetime | None = None) -> list[Schedule]:
    return [row for row in schedules_overview(now=now) if row.problem]


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
    """Runs created and runs failed in each of the last `hours` hours (oldest first)."""
    now = now or timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours - 1)
    counts = {
        row["hour"]: row
        for row in TaskRun.objects.filter(created_at__gte=start)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(total=Count("pk"), failed=Count("pk", filter=Q(state__in=FAILED_STATES)))
        .order_by()
    }
    series = []
    for i in range(hours):
        hour = start + dt.timedelta(hours=i)
        row = counts.get(hour, {})
        series.append({"hour": hour, "total": row.get("total", 0), "failed": row.get("failed", 0)})
    return series


def slowest_tasks(*, now: dt.datetime | None = None, hours: int = 24, limit: int = 5) -> list:
    """The tasks with the longest average duration over the last `hours` hours."""
    now = now or timezone.now()
    return list(
        TaskRun.objects.filter(created_at__gte=now - dt.timedelta(hours=hours), duration__gt=0)
        .values("name")
        .annotate(avg=Avg("duration"), longest=Max("duration"), runs=Count("pk"))
        .order_by("-avg")[:limit]
    )


def emails_per_day(*, today: dt.date | None = None, days: int = 14) -> list[dict]:
    """Emails sent, bounced and complained about on each of the last `days` days."""
    today = today or timezone.now().date()
    start = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    sent = dict(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT, sent_at__gte=since)
        .annotate(day=TruncDate("sent_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    events: dict[tuple, int] = {
        (row["day"], row["event_type"]): row["n"]
        for row in EmailEvent.objects.filter(
            event_type__in=["bounced", "complained"], occurred_at__gte=since
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "event_type")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [
        {
            "day": day,
            "sent": sent.get(day, 0),
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
