"""What the console shows instead of internals: periods, schedules, task names, results."""

import datetime as dt
import re

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from apps.jobs.exceptions import PeriodError
from apps.jobs.models import TaskRun
from apps.jobs.periods import period_parse

DASH = "\u2013"  # between the two ends of a range


def period_label(kind: str, key: str) -> str:
    """'2026-12-01T09' -> '1 Dec 2026, 09:00-10:00' (an en dash); the key when it won't parse."""
    try:
        start = period_parse(kind, key).start
    except PeriodError:
        return key
    day = f"{start.day} {start:%b %Y}"
    if kind == "minute":
        return f"{day}, {start:%H:%M}"
    if kind == "hour":
        return f"{day}, {start:%H}:00{DASH}{(start + dt.timedelta(hours=1)):%H}:00"
    if kind == "day":
        return f"{start:%a} {day}"
    if kind == "week":
        end = start + dt.timedelta(days=6)
        return f"week {start.isocalendar()[1]}, {start.day} {start:%b}{DASH}{end.day} {end:%b %Y}"
    return f"{start:%B %Y}"


def local_time(moment: dt.datetime, fmt: str = "%a %d %b, %H:%M") -> str:
    """A moment in the operator's time zone (the one the request activated), e.g.
    'Wed 25 Nov, 19:10'."""
    return f"{timezone.localtime(moment):{fmt}}"


def ago(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """'3 minutes ago', or 'just now' under a minute (never '0 minutes ago')."""
    now = now or timezone.now()
    if abs((now - moment).total_seconds()) < 60:
        return _("just now")
    return _("%s ago") % timesince(moment, now)


def in_words(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """'in 3 minutes', or 'in under a minute' (never 'in 0 minutes')."""
    now = now or timezone.now()
    if (moment - now).total_seconds() < 60:
        return _("in under a minute")
    return _("in %s") % timeuntil(moment, now)


def seconds_words(seconds: float) -> str:
    """0.6 -> '0.60 s', 125 -> '2 min 5 s', 7300 -> '2 h 1 min'."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def task_label(name: str) -> str:
    """'apps.summaries.tasks.summarization_request_process_task' -> 'Summarization request
    process' (the words a person would use; the dotted name stays in the details)."""
    return TaskRun(name=name).label


def result_words(result) -> str:
    """A job's returned figures in words: {'alerts': 3, 'sent': 1200} -> '3 alerts, 1,200 sent';
    a list is counted ({'alerted': []} -> 'none alerted', not '[] alerted')."""
    if not result:
        return "—"
    if not isinstance(result, dict):
        return str(result)
    return ", ".join(_figure(str(key).replace("_", " "), value) for key, value in result.items())


def _figure(key: str, value) -> str:
    if isinstance(value, bool):
        return key if value else f"not {key}"
    if isinstance(value, list | tuple | set | dict):  # who or what: how many
        return f"{number_format(len(value), force_grouping=True)} {key}" if value else f"none {key}"
    if value is None:
        return f"{key}: none"
    if isinstance(value, int):
        return f"{number_format(value, force_grouping=True)} {key}"
    return f"{value} {key}"


SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
UNITS = {"_DAYS": "days", "_HOURS": "hours", "_MINUTES": "minutes", "_SECONDS": "seconds"}


def description_words(text: str) -> str:
    """A job's description for operators: one paragraph, with each setting's value instead of
    its name ('older than ANALYTICS_RAW_RETENTION_DAYS' -> 'older than 90 days')."""
    return SETTING_NAME.sub(_setting_value, " ".join(text.split()))


def _setting_value(match: re.Match) -> str:
    from django.conf import settings

    name = match.group(0)
    if not hasattr(settings, name):
        return name
    value = getattr(settings, name)
    unit = next((unit for end, unit in UNITS.items() if name.endswith(end)), "")
    shown = number_format(value, force_grouping=True) if isinstance(value, int) else str(value)
    return f"{shown} {unit}".strip() if unit else shown


PROVIDERS = {
    "backends": "Local .eml files",
    "smtp": "SMTP server",
    "console": "Console (log)",
    "locmem": "Memory (tests)",
    "dummy": "Nowhere (dummy)",
}


def provider_name(value: str) -> str:
    """anymail names its providers ('Postmark'); Django's own mailers were stored by module."""
    return PROVIDERS.get(value, value) or "—"


def model_name(label: str) -> str:
    """'mail.EmailTemplate' -> 'Email template' (the label itself for a model gone since)."""
    from django.apps import apps

    try:
        return capfirst(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label
