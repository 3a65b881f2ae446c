"""The latency percentiles in the console (issue 19.9): every task's p50/p95/p99 of run time
and queue wait over the last hour, day and week (the dashboard and its own page), and one
task's page with its slowest runs and its hourly p95 over the week."""

import datetime as dt
import json
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.jobs.adapter import task_names
from apps.jobs.latency.figures import SHARES, WINDOWS, Latency, hourly_p95, latency_overview
from apps.jobs.models import TaskLatency, TaskRun
from apps.text_input import is_poisoned

from ..words import local_time, task_label
from .views import _Page

WINDOW_WORDS = {
    "hour": gettext_lazy("Last hour"),
    "day": gettext_lazy("Last 24 hours"),
    "week": gettext_lazy("Last 7 days"),
}
STALE_AFTER = dt.timedelta(minutes=15)  # the summary is written every five minutes


def duration_words(seconds: float | None) -> str:
    """12 ms, 1.3 s, 2 min 5 s, 1 h 4 min; a dash without a figure."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.0015 else "≤ 1 ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def latency_url(name: str | None = None) -> str:
    """The percentiles page, or one task's (a name no URL can hold gets the task history)."""
    if name is None:
        return reverse("admin:jobs_latency")
    if not name or "/" in name:
        return reverse("admin:jobs_taskrun_changelist") + "?" + urlencode({"task": name})
    return reverse("admin:jobs_latency_task", args=[name])


def latency_tables(overview) -> dict:
    """One unfold table per window: a row per task name, its percentiles, linked to its page."""
    names = overview.names()
    return {
        window: {
            "since": local_time(overview.since[window]),
            "table": {
                "headers": [
                    _("Task"),
                    _("Runs"),
                    _("Run time p50"),
                    _("p95"),
                    _("p99"),
                    _("Queue wait p50"),
                    _("p95"),
                    _("p99"),
                ],
                "rows": [_row(overview.windows[window].get(name), name) for name in names],
            },
        }
        for window in WINDOWS
    }


def _row(latency: Latency | None, name: str) -> dict:
    link = format_html(
        '<a class="text-primary-600 font-semibold" href="{}">{}</a>',
        latency_url(name),
        task_label(name),
    )
    if latency is None:
        return {"attrs": {"data-task": name}, "cols": [link, 0, *["—"] * 6]}
    cells = [duration_words(latency.run(share)) for share in SHARES]
    cells += [duration_words(latency.wait(share)) for share in SHARES]
    return {"attrs": {"data-task": name}, "cols": [link, f"{latency.runs:,}", *cells]}


def summary_note(overview, now: dt.datetime) -> str:
    """Whether the summary behind the day and week figures is current."""
    written = overview.summary_written_at
    if written is None:
        return _(
            "No summary yet: the day and week figures count only this hour until the "
            "latency_summary job (every five minutes) has run on a consumer."
        )
    if now - written > STALE_AFTER:
        return _(
            "The summary was last written %(at)s: is a consumer running the latency_summary job?"
        ) % {"at": local_time(written)}
    return ""


class LatencyView(_Page):
    """Every task's run time and queue wait percentiles, over the last hour, day and week."""

    title = gettext_lazy("Latency percentiles")
    permission_required = ("jobs.view_taskrun",)
    template_name = "console/jobs/latency.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        overview = latency_overview(now=now, slowest=False)
        return {
            **super().get_context_data(**kwargs),
            "windows": [(w, str(WINDOW_WORDS[w])) for w in WINDOWS],
            "tables": latency_tables(overview),
            "note": summary_note(overview, now),
        }


class TaskLatencyView(_Page):
    """One task's percentiles in each window, its slowest runs, its hourly p95 over the week."""

    permission_required = ("jobs.view_taskrun",)
    template_name = "console/jobs/latency_task.html"

    @property
    def title(self) -> str:
        return _("Latency of %(task)s") % {"task": task_label(self.kwargs["name"])}

    def get(self, request, *args, name: str, **kwargs):
        if (
            not name
            or is_poisoned(name)
            or not (name in task_names() or TaskLatency.objects.filter(name=name).exists())
        ):  # a NUL or a lone surrogate is no name: the database would refuse it
            raise Http404("No task of that name.")
        return super().get(request, *args, name=name, **kwargs)

    def get_context_data(self, **kwargs):
        name, now = self.kwargs["name"], timezone.now()
        overview = latency_overview(now=now, name=name)
        windows = []
        for window in WINDOWS:
            latency = overview.windows[window].get(name) or Latency(
                name, window, overview.since[window]
            )
            windows.append(
                {
                    "key": window,
                    "words": str(WINDOW_WORDS[window]),
                    "since": local_time(overview.since[window]),
                    "latency": latency,
                    "figures": [
                        (
                            share,
                            duration_words(latency.run(share)),
                            duration_words(latency.wait(share)),
                        )
                        for share in SHARES
                    ],
                    "slowest": _slowest_table(latency.slowest, _("Run time")),
                    "slowest_waits": _slowest_table(latency.slowest_waits, _("Queue wait")),
                }
            )
        return {
            **super().get_context_data(**kwargs),
            "name": name,
            "label": task_label(name),
            "windows": windows,
            "chart": json.dumps(_p95_chart(name, now)),
            "note": summary_note(overview, now),
            "history_url": reverse("admin:jobs_taskrun_changelist") + f"?task={name}",
            "overview_url": latency_url(),
        }


def _slowest_table(pairs: list, what: str) -> dict:
    runs = TaskRun.objects.in_bulk([pk for _, pk in pairs])
    rows = []
    for seconds, pk in pairs:
        run = runs.get(pk)
        if run is None:  # pruned since
            continue
        url = reverse("admin:jobs_taskrun_change", args=[pk])
        rows.append(
            {
                "attrs": {"data-run": pk},
                "cols": [
                    format_html(
                        '<a class="text-primary-600" href="{}">{}</a>', url, run.task_id[:8]
                    ),
                    duration_words(seconds),
                    run.get_state_display(),
                    local_time(run.created_at),
                    run.consumer or "—",
                ],
            }
        )
    return {"headers": [_("Run"), what, _("State"), _("Created"), _("Consumer")], "rows": rows}


def _p95_chart(name: str, now: dt.datetime) -> dict:
    points = hourly_p95(name=name, now=now)
    return {
        "labels": [local_time(hour, "%a %H:00") for hour, _run, _wait in points],
        "datasets": [
            {
                "label": _("Run time p95 (s)"),
                "data": [_round(run) for _h, run, _w in points],
                "borderColor": "var(--color-primary-600)",
            },
            {
                "label": _("Queue wait p95 (s)"),
                "data": [_round(wait) for _h, _r, wait in points],
                "borderColor": "#f97316",
            },
        ],
    }


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def dashboard_latency(now: dt.datetime, *, overview) -> dict:
    """The dashboard's card: the same tables as the page, a window at a time."""
    return {
        "windows": [(w, str(WINDOW_WORDS[w])) for w in WINDOWS],
        "tables": latency_tables(overview),
        "note": summary_note(overview, now),
        "url": latency_url(),
    }
