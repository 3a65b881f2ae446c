"""The one schedule engine: croniter says whether a minute is a run (huey's scheduler asks it of
every periodic job each minute), and gives the next and previous runs the console shows;
cron-descriptor puts a schedule in words.

Crontabs are five fields in UTC, read with huey's rule: the day of the month and the day of
the week must both match (croniter's `day_or=False`; plain cron would accept either). Before,
huey's own `crontab` decided when to enqueue and croniter what the console showed, kept in
step by a test; now the scheduler and the console cannot disagree.
"""

import datetime as dt
import functools
from collections.abc import Iterator

from cron_descriptor import Options, get_description
from croniter import croniter

from .exceptions import ScheduleError

UTC = dt.UTC


def schedule_check(schedule: str) -> None:
    """Raise ScheduleError unless `schedule` is a five-field crontab both engines read."""
    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise ScheduleError(f"{schedule!r} is not a five-field crontab, e.g. '5 * * * *'.")


def schedule_matches(schedule: str, moment: dt.datetime) -> bool:
    """Whether `moment`'s minute is a run of the schedule (UTC; a naive time is UTC, as huey's
    scheduler passes it)."""
    return croniter.match(schedule, _utc(moment), day_or=False)


def next_run(schedule: str, after: dt.datetime) -> dt.datetime:
    """The first minute strictly after `after` that the schedule matches (UTC)."""
    return _walk(schedule, after).get_next(dt.datetime)


def previous_run(schedule: str, at_or_before: dt.datetime) -> dt.datetime:
    """The latest minute at or before `at_or_before` that the schedule matches (UTC)."""
    moment = _utc(at_or_before).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return _walk(schedule, moment).get_prev(dt.datetime)


def runs_after(schedule: str, start: dt.datetime) -> Iterator[dt.datetime]:
    """Every run strictly after `start`, in order, without end (one croniter walk)."""
    walk = _walk(schedule, start)
    while True:
        yield walk.get_next(dt.datetime)


def runs_between(schedule: str, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Every run after `start` and before `end`, in order (one croniter walk)."""
    walk = _walk(schedule, start)
    while (moment := walk.get_next(dt.datetime)) < _utc(end):
        yield moment


@functools.cache
def schedule_words(schedule: str) -> str:
    """The schedule in words, e.g. "At 03:30 (UTC)"."""
    options = Options()
    options.use_24hour_time_format = True
    return f"{get_description(schedule, options)} (UTC)"


def _walk(schedule: str, start: dt.datetime) -> croniter:
    return croniter(schedule, _utc(start), day_or=False)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
