"""The coming week of periodic jobs, day by day in the operator's time zone (issue 19.11).

Triggers come from the one schedule engine (UTC crontabs, apps/jobs/schedule.py) and are shown
in the active zone: a day is that zone's day (23 or 25 hours long on a clock change, which the
day says), and a job at 03:30 UTC moves by an hour in local time across the change. A job that
runs more than MAX_LISTED times a day is one line ("every minute") rather than a list.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.jobs.periodic import REGISTRY
from apps.jobs.schedule import runs_between

from ..words import local_time

MAX_LISTED = 24


@dataclass
class Day:
    """One day of the calendar: its date, its clock change (if any), its runs in order."""

    date: dt.date
    runs: list[tuple[str, str]] = field(default_factory=list)  # (local time, job)
    frequent: list[tuple[str, str]] = field(default_factory=list)  # (job, words)
    clock_change: str = ""


def week_calendar(*, now: dt.datetime | None = None, days: int = 7) -> list[Day]:
    """The next `days` days from today (in the active zone), each with every run due."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    calendar = []
    for offset in range(days):
        date = today + dt.timedelta(days=offset)
        start, end = _bounds(date, zone)
        day = Day(date=date, clock_change=_clock_change(start, end, zone))
        for name, spec in sorted(REGISTRY.items()):
            runs = list(
                itertools.islice(runs_between(spec.schedule, start - _MINUTE, end), MAX_LISTED + 1)
            )
            if len(runs) > MAX_LISTED:
                day.frequent.append((name, spec.words))
                continue
            day.runs += [(local_time(run, "%H:%M"), name) for run in runs if run >= start]
        day.runs.sort()
        calendar.append(day)
    return calendar


_MINUTE = dt.timedelta(minutes=1)


def _bounds(date: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    """A local day as an interval of aware moments (23 or 25 hours on a clock change)."""
    start = dt.datetime.combine(date, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _clock_change(start: dt.datetime, end: dt.datetime, zone) -> str:
    """'Clocks go forward at 02:00: UTC+01:00 -> UTC+02:00' on a day the offset changes."""
    before, after = start.astimezone(zone).utcoffset(), end.astimezone(zone).utcoffset()
    if before == after:
        return ""
    low, high = start, end  # the first minute of the new offset, by halving the day
    while high - low > _MINUTE:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    change = high.replace(second=0, microsecond=0, tzinfo=None)
    wall_before, wall_after = change + before, change + after  # the clock just before, after
    words = _("Clocks go forward") if after > before else _("Clocks go back")
    return _("%(words)s at %(at)s to %(to)s (%(before)s → %(after)s)") % {
        "words": words,
        "at": f"{wall_before:%H:%M}",
        "to": f"{wall_after:%H:%M}",
        "before": _offset(before),
        "after": _offset(after),
    }


def _offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"
