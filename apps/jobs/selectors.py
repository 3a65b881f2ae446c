import datetime as dt
import functools
import itertools
import operator
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from . import clock
from .adapter import broker_health, django_task, django_task_result
from .models import (
    PeriodicJobState,
    PeriodicRun,
    TaskAttempt,
    TaskRun,
    TaskRunSearch,
    WorkerHeartbeat,
)
from .periodic import REGISTRY
from .schedule import runs_after


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


def broker_warnings() -> list[str]:
    """What an operator must fix about a broker that answers: a Redis that keeps no
    append-only file loses every queued task when it restarts."""
    try:
        health = broker_health()
    except Exception:  # down: backing_services_status says so
        return []
    if health.persistent is False:
        return [
            "The broker (Redis) keeps no append-only file: a restart loses every queued task "
            "(the reconciliation marks them lost). Run it with `appendonly yes`."
        ]
    return []


RECENT_RUNS = 12
UPCOMING = 5


@dataclass(frozen=True)
class Upcoming:
    """One trigger to come: when, the period it covers, and whether that period already has
    its run (then the scheduled copy finds it claimed and does nothing)."""

    trigger: dt.datetime
    period: str
    taken_by: PeriodicRun | None = None

    @property
    def skipped(self) -> bool:
        return self.taken_by is not None


@dataclass
class Schedule:
    """A periodic job as `jobs_list`, the schedules page, the dashboard and the alerts see it."""

    name: str
    description: str
    crontab: str
    words: str
    period: str
    paused: bool
    next_run: dt.datetime
    recent: list[PeriodicRun] = field(default_factory=list)
    problem: str = ""  # "", "missed" or "failed": the last period it should have covered
    expected_period: str = ""
    expected_trigger: dt.datetime | None = None
    upcoming: list[Upcoming] = field(default_factory=list)  # the next triggers, in order

    @property
    def last_run(self) -> PeriodicRun | None:
        return self.recent[0] if self.recent else None

    @property
    def recent_oldest_first(self) -> list[PeriodicRun]:
        return self.recent[::-1]


def schedules_overview(*, now: dt.datetime | None = None) -> list[Schedule]:
    """Every declared periodic job: schedule in words, next run, recent runs, and whether the
    last period it should have covered has no run ("missed") or a failed one ("failed").

    A period is only expected once a running consumer had seen the job before its trigger,
    so a fresh install (or a job added since) raises no false alarm.
    """
    now = now or clock.now()
    states = {s.job: s for s in PeriodicJobState.objects.filter(job__in=list(REGISTRY))}
    rows = []
    for name, spec in sorted(REGISTRY.items()):
        state = states.get(name)
        rows.append(
            Schedule(
                name=name,
                description=spec.description,
                crontab=spec.schedule,
                words=spec.words,
                period=spec.period,
                paused=bool(state and state.paused),
                next_run=spec.next_run(now),
                recent=list(
                    PeriodicRun.objects.filter(job=name).order_by("-started_at")[:RECENT_RUNS]
                ),
            )
        )
    grace = dt.timedelta(seconds=settings.OPS_LATE_AFTER_SECONDS)
    expected = {}
    for row in rows:
        first_seen = getattr(states.get(row.name), "first_seen_at", None)
        trigger = REGISTRY[row.name].previous_run(now - grace)
        if not row.paused and first_seen is not None and trigger >= first_seen:
            row.expected_trigger = trigger
            row.expected_period = REGISTRY[row.name].period_for(trigger).key
            expected[row.name] = row.expected_period
    found = _runs_for(expected)
    for row in rows:
        if row.name not in expected:
            continue
        run = found.get((row.name, row.expected_period))
        if run is None:
            row.problem = "missed"
        elif run.status in (PeriodicRun.Status.FAILED, PeriodicRun.Status.LOST):
            row.problem = "failed"
    _add_upcoming(rows, now)
    return rows


def _add_upcoming(rows: list[Schedule], now: dt.datetime) -> None:
    """Each job's next UPCOMING triggers, and which of them will find their period already run
    (only a lost run's period is taken over by its scheduled copy); `next_run` is the first
    trigger that will run. One query for every job."""
    triggers = {
        row.name: list(itertools.islice(runs_after(REGISTRY[row.name].schedule, now), UPCOMING))
        for row in rows
    }
    periods = {
        name: [REGISTRY[name].period_for(moment).key for moment in moments]
        for name, moments in triggers.items()
    }
    taken = {
        (run.job, run.period_key): run
        for run in PeriodicRun.objects.filter(
            job__in=list(periods), period_key__in={key for keys in periods.values() for key in keys}
        ).exclude(status=PeriodicRun.Status.LOST)
    }
    for row in rows:
        row.upcoming = [
            Upcoming(moment, key, taken.get((row.name, key)))
            for moment, key in zip(triggers[row.name], periods[row.name], strict=True)
        ]
        row.next_run = next((u.trigger for u in row.upcoming if not u.skipped), row.next_run)


def _runs_for(wanted: dict[str, str]) -> dict[tuple[str, str], PeriodicRun]:
    if not wanted:
        return {}
    match = functools.reduce(
        operator.or_, (Q(job=job, period_key=key) for job, key in wanted.items())
    )
    return {(r.job, r.period_key): r for r in PeriodicRun.objects.filter(match)}


def schedules_with_problems(*, now: dt.datetime | None = None) -> list[Schedule]:
    """The periodic jobs whose last expected period is missing or failed."""
    return [row for row in schedules_overview(now=now) if row.problem]


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


TASK_ID_PREFIX = re.compile(r"^[0-9a-f-]{6,64}$")
# pg_trgm finds a term of 3 characters or more through its index; a shorter one would read
# the whole index, so it is looked for among the newest runs only (the page says so).
SHORT_TERM = 3
SHORT_TERM_RUNS = 200_000
# A term matching at most this many runs is fetched whole through the trigram index (then the
# newest of them are one index lookup each); more are dense enough that reading the newest
# runs finds a page of them at once. PostgreSQL cannot tell which from its statistics (it took
# a 0.1 % term for a 1 % one and read 370,000 runs for 51).
SEARCH_IDS = 10_000


def task_runs_search(queryset, *, term: str):
    """The console's search box: a task-id prefix, or text in the arguments (any case).

    Text is looked up in TaskRunSearch (the runs' arguments, kept apart with a trigram index):
    under a second at millions of runs. A term shorter than SHORT_TERM characters is looked
    for among the newest SHORT_TERM_RUNS runs (see `search_is_bounded`)."""
    term = term.strip()
    if not term:
        return queryset
    if "\x00" in term:  # no stored text holds a NUL (PostgreSQL refuses it in a query)
        return queryset.none()
    if TASK_ID_PREFIX.match(term.lower()):
        return queryset.filter(task_id__startswith=term.lower())
    if search_is_bounded(term):  # the newest runs: a range of the created_at index
        edge = TaskRun.objects.order_by("-created_at").values_list("created_at", flat=True)
        since = edge[SHORT_TERM_RUNS - 1 : SHORT_TERM_RUNS].first()
        if since is not None:
            queryset = queryset.filter(created_at__gte=since)
        queryset = queryset.alias(
            args_text=Cast("args", TextField()), kwargs_text=Cast("kwargs", TextField())
        )
        return queryset.filter(Q(args_text__icontains=term) | Q(kwargs_text__icontains=term))
    found = TaskRunSearch.objects.filter(arguments__contains=term.lower())
    ids = list(found.values_list("run_id", flat=True)[: SEARCH_IDS + 1])
    if len(ids) <= SEARCH_IDS:
        return queryset.filter(pk__in=ids)
    return queryset.filter(pk__in=found.values("run_id"))


def search_is_bounded(term: str) -> bool:
    """Whether a search for `term` looks only among the newest SHORT_TERM_RUNS runs."""
    term = term.strip()
    return bool(term) and len(term) < SHORT_TERM and not TASK_ID_PREFIX.match(term.lower())


def task_runs_matching(
    *,
    state: str = "",
    task: str = "",
    job: str = "",
    queue: str = "",
    consumer: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    search: str = "",
):
    """Task runs matching the console's list filters, newest first."""
    runs = TaskRun.objects.order_by("-created_at")
    if any("\x00" in value for value in (state, task, job, queue, consumer)):
        return runs.none()  # nothing stored holds a NUL
    for field_name, value in (
        ("state", state),
        ("name", task),
        ("periodic_job", job),
        ("queue", queue),
        ("consumer", consumer),
    ):
        if value:
            runs = runs.filter(**{field_name: value})
    if since:
        runs = runs.filter(created_at__gte=since)
    if until:
        runs = runs.filter(created_at__lte=until)
    return task_runs_search(runs, term=search)


def task_run_result(run: TaskRun):
    """What a task returned: from the history, or (a django.tasks task) through django.tasks."""
    if run.result is not None or django_task(run.name) is None:
        return run.result
    return django_task_result(run.task_id)


def oldest_waiting_task() -> TaskRun | None:
    """The history row of the task next in line in the queue (the longest waiting), if any."""
    try:
        head = HUEY.pending(limit=1)
    except Exception:  # the broker being down is reported by /healthz, not here
        return None
    return TaskRun.objects.filter(task_id=head[0].id).first() if head else None
