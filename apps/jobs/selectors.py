import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from . import clock
from .models import PeriodicJobState, PeriodicRun, TaskAttempt, WorkerHeartbeat
from .periodic import REGISTRY


def backing_services_status() -> dict[str, str]:
    """Ask the database and the task broker for a sign of life; "ok" or the error's text."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; the text says which
        status["database"] = f"error: {exc.__class__.__name__}: {exc}"
    try:
        HUEY.pending_count()
        status["broker"] = "ok"
    except Exception as exc:
        status["broker"] = f"error: {exc.__class__.__name__}: {exc}"
    return status


@dataclass
class JobOverview:
    """A periodic job as `jobs_list` and the console show it."""

    name: str
    schedule: str
    period: str
    description: str
    paused: bool
    next_run: dt.datetime | None
    last_run: PeriodicRun | None


def periodic_jobs_overview(*, now: dt.datetime | None = None) -> list[JobOverview]:
    """Every declared periodic job with its schedule, next run and last run."""
    now = now or clock.now()
    paused = set(PeriodicJobState.objects.filter(paused=True).values_list("job", flat=True))
    overview = []
    for name, spec in sorted(REGISTRY.items()):
        last = PeriodicRun.objects.filter(job=name).order_by("-started_at").first()
        overview.append(
            JobOverview(
                name=name,
                schedule=spec.schedule,
                period=spec.period,
                description=spec.description,
                paused=name in paused,
                next_run=spec.next_run(now),
                last_run=last,
            )
        )
    return overview


@dataclass
class LockInfo:
    job: str
    locked: bool
    stale: bool


def locks_list() -> list[LockInfo]:
    """The periodic jobs' huey locks; stale = held while no live consumer runs that job."""
    alive = WorkerHeartbeat.objects.filter(
        stopped_at__isnull=True,
        last_seen__gte=timezone.now()
        - dt.timedelta(seconds=settings.JOBS_CONSUMER_DEAD_AFTER_SECONDS),
    ).values("consumer")
    running = set(
        PeriodicRun.objects.filter(
            status=PeriodicRun.Status.RUNNING, consumer__in=alive
        ).values_list("job", flat=True)
    )
    locks = []
    for name, spec in sorted(REGISTRY.items()):
        locked = spec.lock.is_locked()
        locks.append(LockInfo(job=name, locked=locked, stale=locked and name not in running))
    return locks


SENSITIVE = ("password", "secret", "token", "key", "auth", "signature")


def redacted(value):
    """Arguments for display: values under sensitive-looking keys become '***'."""
    if isinstance(value, dict):
        return {
            k: "***" if any(s in str(k).lower() for s in SENSITIVE) else redacted(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def task_attempts(*, task_id: str, limit: int = 100) -> list[TaskAttempt]:
    """A task's attempts, first to last (retries and re-runs after a lost consumer)."""
    return list(TaskAttempt.objects.filter(task_id=task_id).order_by("number")[:limit])
