"""What the console shows instead of internals: periods, schedules, task names, results."""

import datetime as dt

from django.utils.formats import number_format
from django.utils.text import capfirst

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


def task_label(name: str) -> str:
    """'apps.summaries.tasks.summarization_request_process_task' -> 'Summarization request
    process' (the words a person would use; the dotted name stays in the details)."""
    return TaskRun(name=name).label


def result_words(result) -> str:
    """A job's returned figures in words: {'alerts': 3, 'sent': 1200} -> '3 alerts, 1,200 sent'."""
    if not result:
        return "—"
    if not isinstance(result, dict):
        return str(result)
    parts = []
    for key, value in result.items():
        shown = number_format(value, force_grouping=True) if isinstance(value, int) else value
        parts.append(f"{shown} {str(key).replace('_', ' ')}")
    return ", ".join(parts)


PROVIDERS = {"backends": "Local .eml files", "smtp": "SMTP server", "console": "Console (log)",
             "locmem": "Memory (tests)", "dummy": "Nowhere (dummy)"}  # fmt: skip


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
