"""Reading the latency percentiles: a window is summary rows plus the newest minutes, live.

| window | summary rows                              | live from the history       |
| ------ | ----------------------------------------- | --------------------------- |
| hour   | none                                      | the last 60 minutes         |
| day    | the 23 complete hours before this one     | this hour so far            |
| week   | 6 complete days, today's complete hours   | this hour so far            |

So a day starts at the hour 23 hours ago and a week at midnight (UTC) six days ago; each window
says when it starts. The live part reads at most an hour of history, through `created_at`.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncHour

from ..models import TaskLatency, TaskRun
from .histogram import merged, percentile
from .summary import DONE, HOUR, RECENT_HOURS, floor_hour, histograms, longest

WINDOWS = ("hour", "day", "week")
SHARES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


@dataclass
class Latency:
    """One task name's run time and queue wait over one window."""

    name: str
    window: str
    since: dt.datetime
    runs: int = 0
    run_time: Counter = field(default_factory=Counter)
    queue_wait: Counter = field(default_factory=Counter)
    slowest: list = field(default_factory=list)  # [[seconds, run id], ...], longest first
    slowest_waits: list = field(default_factory=list)

    def run(self, share: str) -> float | None:
        return percentile(self.run_time, SHARES[share])

    def wait(self, share: str) -> float | None:
        return percentile(self.queue_wait, SHARES[share])

    def add(self, values: dict) -> None:
        self.runs += values["runs"]
        self.run_time += merged([values["run_time"]])
        self.queue_wait += merged([values["queue_wait"]])
        self.slowest = longest([self.slowest, values["slowest"]])
        self.slowest_waits = longest([self.slowest_waits, values["slowest_waits"]])


@dataclass
class Overview:
    """Every task name's latency in each window, and how fresh the summary is."""

    windows: dict[str, dict[str, Latency]]  # window -> name -> figures
    since: dict[str, dt.datetime]
    summary_written_at: dt.datetime | None

    def names(self) -> list[str]:
        """Task names with runs in the week, most runs first."""
        week = self.windows["week"]
        return sorted(week, key=lambda name: (-week[name].runs, name))


def window_starts(now: dt.datetime) -> dict[str, dt.datetime]:
    current = floor_hour(now)
    midnight = current.replace(hour=0)
    return {
        "hour": now - HOUR,
        "day": current - 23 * HOUR,
        "week": midnight - dt.timedelta(days=6),
    }


def latency_overview(
    *, now: dt.datetime, name: str | None = None, slowest: bool = True
) -> Overview:
    """The percentiles of every task name (or of `name`) over the last hour, day and week, and
    (unless `slowest` is False) their slowest runs."""
    since = window_starts(now)
    current = floor_hour(now)
    days, hours = _summarized(since["week"], current)
    live_from = _live_from(current, hours)
    windows: dict[str, dict[str, Latency]] = {w: {} for w in WINDOWS}

    def add(window: str, task: str, values: dict) -> None:
        latency = windows[window].setdefault(task, Latency(task, window, since[window]))
        latency.add(values)

    unbuilt = [d for d in _days(since["week"], current) if d not in days]
    hours_from = min([since["day"], *unbuilt])
    rows = TaskLatency.objects.filter(span=TaskLatency.Span.DAY, start__in=days) | (
        TaskLatency.objects.filter(
            span=TaskLatency.Span.HOUR, start__gte=hours_from, start__lt=live_from
        )
    )
    rows = rows.exclude(name=DONE) if name is None else rows.filter(name=name)
    for row in rows.only(*FIGURES):
        if row.span == TaskLatency.Span.DAY:
            add("week", row.name, row.__dict__)
            continue
        if row.start >= since["day"]:
            add("day", row.name, row.__dict__)
        if _day_of(row.start) not in days:
            add("week", row.name, row.__dict__)
    runs = TaskRun.objects.filter(
        created_at__gte=min(since["hour"], live_from), created_at__lte=now
    )
    if name is not None:
        runs = runs.filter(name=name)
    for (task,), values in histograms(
        runs.filter(created_at__gte=since["hour"]), hour=False
    ).items():
        add("hour", task, values)
    for (task,), values in histograms(
        runs.filter(created_at__gte=live_from), hour=False, slowest=slowest
    ).items():
        add("day", task, values)
        add("week", task, values)
    written = TaskLatency.objects.order_by("-written_at").values_list("written_at", flat=True)
    return Overview(windows, since, written.first())


FIGURES = ("name", "span", "start", "runs", "run_time", "queue_wait", "slowest", "slowest_waits")


def _summarized(since: dt.datetime, current: dt.datetime) -> tuple[set, set]:
    """The days built from their hours, and the hours summarized after they ended (their
    marker rows), from `since` to `current`."""
    markers = TaskLatency.objects.filter(name=DONE, start__gte=since, start__lt=current)
    days, hours = set(), set()
    for span, start, written in markers.values_list("span", "start", "written_at"):
        if span == TaskLatency.Span.DAY:
            days.add(start)
        elif written >= start + HOUR:
            hours.add(start)
    return days, hours


def _live_from(current: dt.datetime, complete: set) -> dt.datetime:
    """Where the live part starts: this hour, or an earlier one of the last RECENT_HOURS whose
    summary was written before it ended (its last minutes are still to come)."""
    live_from = current
    for n in range(1, RECENT_HOURS + 1):
        hour = current - n * HOUR
        if hour in complete:
            break
        live_from = hour
    return live_from


def _days(since: dt.datetime, current: dt.datetime) -> list[dt.datetime]:
    midnight = current.replace(hour=0)
    return [since + dt.timedelta(days=n) for n in range(int((midnight - since).days) + 1)]


def _day_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0)


def hourly_p95(*, name: str, now: dt.datetime, hours: int = 168) -> list[tuple]:
    """(hour, run-time p95, queue-wait p95) of each summarized hour of the last `hours`."""
    current = floor_hour(now)
    rows = TaskLatency.objects.filter(
        span=TaskLatency.Span.HOUR, name=name, start__gte=current - hours * HOUR
    ).order_by("start")
    return [
        (
            row.start,
            percentile(merged([row.run_time]), 0.95),
            percentile(merged([row.queue_wait]), 0.95),
        )
        for row in rows.only("start", "run_time", "queue_wait")
    ]


def runs_created_per_hour(*, start: dt.datetime, now: dt.datetime) -> dict[dt.datetime, int]:
    """Runs created in each hour from `start` (an hour) to `now`: the summary's counts for the
    hours it holds, the history's (one grouped query over `created_at`) for the others, this
    hour included. The dashboard's tasks-per-hour chart, without reading a day of history."""
    current = floor_hour(now)
    rows = TaskLatency.objects.filter(
        span=TaskLatency.Span.HOUR, start__gte=start, start__lt=current
    ).values_list("name", "start", "created")
    counts: dict[dt.datetime, int] = {}
    _days_built, summarized = _summarized(start, current)
    for name, hour, created in rows:
        if name != DONE and hour in summarized:
            counts[hour] = counts.get(hour, 0) + created
    missing = [start + n * HOUR for n in range(int((current - start) / HOUR))]
    missing = [hour for hour in missing if hour not in summarized] + [current]
    live = TaskRun.objects.filter(created_at__gte=min(missing), created_at__lte=now)
    if len(missing) == 1:  # only this hour: one count
        counts[current] = live.count()
        return counts
    for row in (
        live.annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["hour"] in missing:
            counts[row["hour"]] = row["n"]
    return counts
