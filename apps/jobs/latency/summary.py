"""Writing the latency summary: each task name's hours as histograms, then its days.

Every pass recomputes the last RECENT_HOURS complete hours (a run created in an hour may finish
later: a retry waits between attempts) and catches up on hours never summarized (a fresh
install, a consumer down), the newest first, at most CATCH_UP_HOURS per pass; each summarized
hour leaves a marker row (name ""), so an hour without runs is not summarized again. Then each
complete day those hours touch is rebuilt from its hour rows. Each range of hours is four
grouped queries over an index range of the history (`created_at`): no history row passes
through Python.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber, TruncHour

from ..models import TaskLatency, TaskRun
from .histogram import Seconds, bucket_sql, merged

HOUR = dt.timedelta(hours=1)
RECENT_HOURS = 3
CATCH_UP_HOURS = 24
KEEP_DAYS = 8  # summaries older than a week and a day are never read
SLOWEST = 10
DONE = ""  # the name of an hour's marker row: that hour is summarized


def floor_hour(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def task_latency_summarize(*, now: dt.datetime) -> dict:
    """Summarize the hours due at `now` and rebuild the days they complete; what was written."""
    current = floor_hour(now)
    recent = [current - n * HOUR for n in range(RECENT_HOURS, 0, -1)]
    hours = sorted(set(recent) | set(_never_summarized(current, exclude=recent)))
    written = 0
    for start, end in _ranges(hours):
        written += summarize_hours(start=start, end=end)
    today = current.date()
    for day in sorted({hour.date() for hour in hours if hour.date() < today}):
        summarize_day(day=day)
    return {"hours": len(hours), "rows": written}


def _never_summarized(current: dt.datetime, *, exclude: list) -> list[dt.datetime]:
    """The newest CATCH_UP_HOURS hours of the last KEEP_DAYS that no pass summarized (each
    summarized hour has a row named "", even an hour without runs)."""
    oldest = current - dt.timedelta(days=KEEP_DAYS)
    done = set(
        TaskLatency.objects.filter(
            span=TaskLatency.Span.HOUR, name=DONE, start__gte=oldest, start__lt=current
        ).values_list("start", flat=True)
    )
    every = (current - n * HOUR for n in range(1, KEEP_DAYS * 24 + 1))
    missing = [hour for hour in every if hour not in done and hour not in exclude]
    return missing[:CATCH_UP_HOURS]


def _ranges(hours: list[dt.datetime]):
    """Sorted hours as [start, end) ranges of consecutive hours."""
    start = previous = None
    for hour in hours:
        if previous is not None and hour != previous + HOUR:
            yield start, previous + HOUR
            start = None
        start = start or hour
        previous = hour
    if start is not None:
        yield start, previous + HOUR


def histograms(runs, *, hour: bool = True, slowest: bool = True) -> dict[tuple, dict]:
    """Per (name, hour) — or per name when `hour` is False — the run-time and queue-wait
    histograms and (unless `slowest` is False) the slowest runs of `runs` (a TaskRun queryset,
    filtered by the caller)."""
    keys = ["name", "hour"] if hour else ["name"]
    if hour:
        runs = runs.annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
    figures: dict[tuple, dict] = {}

    def entry(row) -> dict:
        key = tuple(row[k] for k in keys)
        empty = {"created": 0, "runs": 0, "run_time": {}, "queue_wait": {}, "slowest": []}
        return figures.setdefault(key, {**empty, "slowest_waits": []})

    for row in runs.values(*keys).annotate(n=Count("pk")).order_by():
        entry(row)["created"] = row["n"]
    timed = runs.filter(duration__isnull=False)
    for row in timed.values(*keys, b=bucket_sql(F("duration"))).annotate(n=Count("pk")).order_by():
        figures_row = entry(row)
        figures_row["runs"] += row["n"]
        figures_row["run_time"][int(row["b"])] = row["n"]
    waited = _waited(runs)
    for row in waited.values(*keys, b=bucket_sql(F("wait"))).annotate(n=Count("pk")).order_by():
        entry(row)["queue_wait"][int(row["b"])] = row["n"]
    sources = (("duration", "slowest", timed), ("wait", "slowest_waits", waited))
    for field, name, source in sources if slowest else ():
        for row in _slowest(source, field, keys):
            entry(row)[name].append([round(row[field], 3), row["pk"]])
    return figures


def _waited(runs):
    """First attempts with a start: their wait in the queue (later attempts also waited for
    their retry's delay, which is not the queue's doing)."""
    started = Q(attempt=1, started_at__isnull=False, enqueued_at__isnull=False)
    return runs.filter(started).annotate(wait=Seconds("started_at", "enqueued_at"))


def _slowest(runs, field: str, keys: list[str]):
    """The SLOWEST rows of each group by `field`, longest first."""
    rank = Window(RowNumber(), partition_by=[F(k) for k in keys], order_by=F(field).desc())
    ranked = runs.annotate(place=rank).filter(place__lte=SLOWEST)
    return ranked.values("pk", field, *keys).order_by(*keys, "place")


def summarize_hours(*, start: dt.datetime, end: dt.datetime) -> int:
    """Write the hour rows of [start, end) (complete hours); the rows written."""
    runs = TaskRun.objects.filter(created_at__gte=start, created_at__lt=end)
    figures = histograms(runs)
    rows = [
        TaskLatency(name=name, span=TaskLatency.Span.HOUR, start=hour, **values)
        for (name, hour), values in figures.items()
    ]
    hours = int((end - start) / HOUR)
    rows += [  # each hour is summarized, even without runs
        TaskLatency(name=DONE, span=TaskLatency.Span.HOUR, start=start + n * HOUR)
        for n in range(hours)
    ]
    with transaction.atomic():  # the hours as they are now: a task gone from one goes too
        TaskLatency.objects.filter(
            span=TaskLatency.Span.HOUR, start__gte=start, start__lt=end
        ).delete()
        _upsert(rows)
    return len(rows)


def summarize_day(*, day: dt.date) -> int:
    """Write each task name's day row of `day` from its hour rows, once all 24 are summarized
    (until then its hours are read one by one); the rows written."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    hours = TaskLatency.objects.filter(
        span=TaskLatency.Span.HOUR, start__gte=start, start__lt=start + dt.timedelta(days=1)
    )
    if hours.filter(name=DONE).count() < 24:
        TaskLatency.objects.filter(span=TaskLatency.Span.DAY, start=start).delete()
        return 0
    by_name: dict[str, list[TaskLatency]] = {}
    for row in hours.exclude(name=DONE):
        by_name.setdefault(row.name, []).append(row)
    rows = [
        TaskLatency(name=name, span=TaskLatency.Span.DAY, start=start, **merge_rows(parts))
        for name, parts in by_name.items()
    ]
    _upsert([*rows, TaskLatency(name=DONE, span=TaskLatency.Span.DAY, start=start)])
    return len(rows)


def merge_rows(rows) -> dict:
    """Several summary rows of one task name as one (histograms added, slowest kept)."""
    return {
        "created": sum(row.created for row in rows),
        "runs": sum(row.runs for row in rows),
        "run_time": dict(merged(row.run_time for row in rows)),
        "queue_wait": dict(merged(row.queue_wait for row in rows)),
        "slowest": longest(row.slowest for row in rows),
        "slowest_waits": longest(row.slowest_waits for row in rows),
    }


def longest(lists, limit: int = SLOWEST) -> list:
    """The `limit` longest [seconds, run id] pairs of several lists."""
    return sorted((pair for pairs in lists for pair in pairs), key=lambda p: -p[0])[:limit]


def _upsert(rows: list[TaskLatency]) -> None:
    TaskLatency.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["span", "start", "name"],
        update_fields=[
            "created",
            "runs",
            "run_time",
            "queue_wait",
            "slowest",
            "slowest_waits",
            "written_at",
        ],
    )
