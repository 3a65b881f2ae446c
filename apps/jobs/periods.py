"""Periods a periodic job covers: a minute, an hour, a day, an ISO week or a month (UTC)."""

import datetime as dt
from dataclasses import dataclass

from .exceptions import PeriodError

KINDS = ("minute", "hour", "day", "week", "month")
UTC = dt.UTC


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval [start, end) with a stable key, e.g. 2026-W48 or 2026-11."""

    kind: str
    start: dt.datetime

    @property
    def end(self) -> dt.datetime:
        return self.shift(1).start

    @property
    def key(self) -> str:
        s = self.start
        if self.kind == "minute":
            return s.strftime("%Y-%m-%dT%H:%M")
        if self.kind == "hour":
            return s.strftime("%Y-%m-%dT%H")
        if self.kind == "day":
            return s.strftime("%Y-%m-%d")
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        return s.strftime("%Y-%m")

    def shift(self, n: int) -> "Period":
        """The period n steps later (earlier when n is negative)."""
        if self.kind == "month":
            months = self.start.year * 12 + self.start.month - 1 + n
            return Period("month", self.start.replace(year=months // 12, month=months % 12 + 1))
        step = {
            "minute": dt.timedelta(minutes=1),
            "hour": dt.timedelta(hours=1),
            "day": dt.timedelta(days=1),
            "week": dt.timedelta(weeks=1),
        }[self.kind]
        return Period(self.kind, self.start + n * step)

    def __str__(self) -> str:
        return self.key


def period_containing(kind: str, moment: dt.datetime) -> Period:
    """The period of this kind that contains the moment (naive moments are taken as UTC)."""
    if kind not in KINDS:
        raise PeriodError(f"Unknown period kind {kind!r}; use one of {', '.join(KINDS)}.")
    m = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    m = m.replace(second=0, microsecond=0)
    if kind in ("hour", "day", "week", "month"):
        m = m.replace(minute=0)
    if kind in ("day", "week", "month"):
        m = m.replace(hour=0)
    if kind == "week":
        m -= dt.timedelta(days=m.weekday())
    if kind == "month":
        m = m.replace(day=1)
    return Period(kind, m)


def period_parse(kind: str, key: str) -> Period:
    """The period of this kind named by its key; a clear error when the key does not fit."""
    formats = {
        "minute": "%Y-%m-%dT%H:%M",
        "hour": "%Y-%m-%dT%H",
        "day": "%Y-%m-%d",
        "week": "%G-W%V-%u",
        "month": "%Y-%m",
    }
    if kind not in formats:
        raise PeriodError(f"Unknown period kind {kind!r}; use one of {', '.join(KINDS)}.")
    text = f"{key}-1" if kind == "week" else key
    try:
        moment = dt.datetime.strptime(text, formats[kind]).replace(tzinfo=UTC)
    except ValueError as exc:
        example = period_containing(kind, dt.datetime(2026, 11, 25, 8, 5, tzinfo=UTC)).key
        raise PeriodError(
            f"{key!r} is not a valid {kind} period; write it like {example}."
        ) from exc
    period = period_containing(kind, moment)
    if period.key != key:
        raise PeriodError(f"{key!r} is not a valid {kind} period; did you mean {period.key}?")
    return period
