"""Reads for the jobs: the backing services' health, the task history (attempts, search,
filters, results, the queue's head) and, from `.schedules`, the periodic jobs' schedules and
locks. Everything is imported from `apps.jobs.selectors`; tests patch `HUEY`, `SEARCH_IDS`
and `SHORT_TERM_RUNS` here, so what reads them stays in this module."""

import datetime as dt
import re

from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from huey.contrib.djhuey import HUEY

from ..adapter import broker_health, django_task, django_task_result
from ..models import TaskAttempt, TaskRun, TaskRunSearch
from .schedules import (
    RECENT_RUNS,
    UPCOMING,
    LockInfo,
    Schedule,
    Upcoming,
    locks_list,
    schedules_overview,
    schedules_with_problems,
)

__all__ = [
    "RECENT_RUNS",
    "SEARCH_IDS",
    "SENSITIVE",
    "SHORT_TERM",
    "SHORT_TERM_RUNS",
    "TASK_ID_PREFIX",
    "UPCOMING",
    "LockInfo",
    "Schedule",
    "Upcoming",
    "backing_services_status",
    "broker_warnings",
    "locks_list",
    "oldest_waiting_task",
    "redacted",
    "schedules_overview",
    "schedules_with_problems",
    "search_is_bounded",
    "task_attempts",
    "task_run_result",
    "task_runs_matching",
    "task_runs_search",
]


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
