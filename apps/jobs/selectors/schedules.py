"""Reads about the periodic jobs: their schedules (next runs, recent runs, the last period
each should have covered and whether it has a run) and their locks."""

import datetime as dt
import functools
import itertools
import operator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .. import clock
from ..models import PeriodicJobState, PeriodicRun, WorkerHeartbeat
from ..periodic import REGISTRY
from ..schedule import runs_after

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
    holder: str = ""  # the claim holding it ("": free, or taken by code that named none)


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
        holder = spec.lock.holder()
        locked = holder is not None
        stale = locked and name not in running
        locks.append(LockInfo(job=name, locked=locked, stale=stale, holder=holder or ""))
    return locks
