"""Five-field crontabs (UTC, huey's dialect) read aloud, and their previous matching minute."""

import datetime as dt
from dataclasses import dataclass

DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
RANGES = {"minute": range(60), "hour": range(24), "day": range(1, 32), "month": range(1, 13),
          "dow": range(7)}  # fmt: skip


@dataclass(frozen=True)
class Cron:
    """A parsed crontab: the raw fields and the set of values each one allows."""

    minute: str
    hour: str
    day: str
    month: str
    dow: str

    def values(self, field: str) -> list[int]:
        return _expand(getattr(self, field), RANGES[field], dow=field == "dow")

    def matches_day(self, day: dt.date) -> bool:
        # huey requires every field to match (no cron-style OR of day and day of week).
        return (
            day.month in self.values("month")
            and day.day in self.values("day")
            and (day.isoweekday() % 7) in self.values("dow")
        )


def cron_parse(schedule: str) -> Cron:
    return Cron(*schedule.split())


def _expand(text: str, allowed: range, *, dow: bool = False) -> list[int]:
    values: set[int] = set()
    for piece in text.split(","):
        step = 1
        if "/" in piece:
            piece, step_text = piece.split("/")
            step = int(step_text)
        if piece == "*":
            values.update(list(allowed)[::step])
        elif "-" in piece:
            low, high = (int(v) for v in piece.split("-"))
            values.update(range(low, high + 1, step))
        else:
            values.add(int(piece))
    return sorted(v % 7 if dow else v for v in values)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def cron_describe(schedule: str) -> str:
    """The schedule in words, e.g. "daily at 03:00 UTC" or "every hour at :05"."""
    cron = cron_parse(schedule)
    time = _time_words(cron)
    days = _day_words(cron)
    return f"{days} {time}".strip() if days else time


def _time_words(cron: Cron) -> str:
    if cron.minute == "*" and cron.hour == "*":
        return "every minute"
    if cron.minute.startswith("*/") and cron.hour == "*":
        return f"every {cron.minute[2:]} minutes"
    minutes, hours = cron.values("minute"), cron.values("hour")
    if cron.hour == "*" and len(minutes) == 1:
        return f"every hour at :{minutes[0]:02d}"
    if len(hours) * len(minutes) <= 4:
        return "at " + _list([f"{h:02d}:{m:02d}" for h in hours for m in minutes]) + " UTC"
    return f"at minute {cron.minute} of hour {cron.hour} (UTC)"


def _day_words(cron: Cron) -> str:
    every_day = cron.day == "*" and cron.month == "*" and cron.dow == "*"
    if every_day:
        return "" if cron.hour == "*" else "daily"
    parts = []
    if cron.dow != "*":
        parts.append("every " + _list([DAYS[d] for d in cron.values("dow")]))
    if cron.day != "*":
        parts.append("on the " + _list([_ordinal(d) for d in cron.values("day")]))
        if cron.month == "*":
            parts[-1] = "monthly " + parts[-1]
    if cron.month != "*":
        parts.append("in " + _list([MONTHS[m - 1] for m in cron.values("month")]))
    return " ".join(parts)


def cron_previous(schedule: str, before: dt.datetime, *, horizon_days: int = 400):
    """The latest minute at or before `before` that the schedule matches (None if none)."""
    return _scan(schedule, before.replace(second=0, microsecond=0), -1, horizon_days)


def cron_next(schedule: str, after: dt.datetime, *, horizon_days: int = 400):
    """The first minute strictly after `after` that the schedule matches (None if none)."""
    start = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return _scan(schedule, start, 1, horizon_days)


def _scan(schedule: str, moment: dt.datetime, direction: int, horizon_days: int):
    cron = cron_parse(schedule)
    hours, minutes = cron.values("hour")[::direction], cron.values("minute")[::direction]
    for offset in range(horizon_days):
        day = (moment + dt.timedelta(days=direction * offset)).date()
        if not cron.matches_day(day):
            continue
        for hour in hours:
            for minute in minutes:
                candidate = moment.replace(
                    year=day.year, month=day.month, day=day.day, hour=hour, minute=minute
                )
                if (candidate - moment).total_seconds() * direction >= 0:
                    return candidate
    return None
