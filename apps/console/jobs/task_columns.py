"""The task history's columns and the task page's fields: what each run shows, in words."""

import json

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from apps.jobs.models import TaskRun
from apps.jobs.selectors import redacted, task_attempts, task_run_result

from ..words import local_time, seconds_words, task_label
from .subjects import nothing_to_retry, subject_kind, subjects_of
from .timeline import attempt_timeline

STATE_COLOURS = {
    "enqueued": "info",
    "scheduled": "info",
    "executing": "warning",
    "complete": "success",
    "error": "danger",
    "retrying": "warning",
    "revoked": "info",
    "locked": "warning",
    "expired": "info",
    "interrupted": "danger",
    "canceled": "info",
    "timeout": "danger",
    "rate-limited": "warning",
    "lost": "danger",
}
SUBJECT_COLOURS = {
    "sent": "success",
    "failed": "danger",
    "unknown": "danger",
    "queued": "info",
    "sending": "warning",
    "suppressed": "warning",
    "skipped": "info",
}


class TaskRunColumns:
    """The task history admin's list columns and detail fields (all read-only)."""

    @display(description=_("Task"), ordering="name", header=True)
    def task_link(self, obj: TaskRun):
        url = reverse("admin:jobs_taskrun_change", args=[obj.pk])
        title = format_html('<a href="{}">{}</a>', url, task_label(obj.name))
        subtitle = obj.task_id[:8] + (f" · {obj.periodic_job}" if obj.periodic_job else "")
        return title, subtitle

    @display(description=_("Error"))
    def error_excerpt(self, obj: TaskRun) -> str:
        """The exception's last line, readable in the list (the whole error on hover)."""
        if not obj.error:
            return ""
        line = obj.error.strip().splitlines()[-1]
        return format_html(
            '<span class="text-red-700 dark:text-red-400 text-xs" title="{}">{}</span>',
            obj.error[:1000],
            Truncator(line).chars(90),
        )

    @display(description=_("What went wrong"))
    def failure(self, obj: TaskRun) -> str:
        """The error first, before everything else on the page (the traceback is in Attempts)."""
        if not obj.error:
            return "—"
        return render_to_string("console/jobs/failure.html", {"run": obj})

    @display(description=_("What it worked on"))
    def worked_on(self, obj: TaskRun) -> str:
        """A delivery task's emails, each with its state and a link to its own actions."""
        kind = subject_kind(obj)
        if kind is None:
            return "—"
        subjects = subjects_of(obj)
        return render_to_string(
            "console/jobs/subjects.html",
            {
                "kind": kind,
                "rows": [(s, SUBJECT_COLOURS.get(s.status, "")) for s in subjects],
                "nothing": ""
                if any(s.retryable for s in subjects)
                else nothing_to_retry(kind, subjects),
            },
        )

    @display(description=_("Task"))
    def task_display(self, obj: TaskRun) -> str:
        shown = format_html(
            '{} <span class="text-xs text-subtle">{}</span>', task_label(obj.name), obj.name
        )
        if not obj.name or "/" in obj.name:  # no latency page can be named for it
            return shown
        url = reverse("admin:jobs_latency_task", args=[obj.name])
        return format_html(
            '{} · <a class="text-primary-600 text-xs" href="{}">{}</a>',
            shown,
            url,
            _("its latency percentiles"),
        )

    @display(description=_("State"), ordering="state", label=STATE_COLOURS)
    def state_badge(self, obj: TaskRun) -> str:
        return obj.state

    @display(description=_("State"))
    def state_label(self, obj: TaskRun) -> str:
        return render_to_string(
            "unfold/helpers/label.html",
            {"text": obj.get_state_display(), "variant": STATE_COLOURS.get(obj.state, "")},
        )

    @display(description=_("Run time"), ordering="duration")
    def duration_display(self, obj: TaskRun) -> str:
        """How long its last attempt ran; on the task's page, with the time from its first
        attempt's start to its end when it took several (a retry waits between attempts)."""
        if obj.duration is None:
            return "—"
        shown = f"{obj.duration:.2f} s"
        if obj.attempt <= 1 or not self._is_detail(obj):
            return shown
        first = _attempt_of(obj, 1)
        text = _("%(time)s, attempt %(n)s") % {"time": shown, "n": obj.attempt}
        if first is not None and first.started_at and obj.finished_at:
            text += _("; %(span)s from the first attempt's start (%(at)s) to the end") % {
                "span": seconds_words((obj.finished_at - first.started_at).total_seconds()),
                "at": local_time(first.started_at, "%H:%M:%S"),
            }
        return text

    @display(description=_("Started"))
    def started_display(self, obj: TaskRun) -> str:
        """When its last attempt started (each attempt's times are under Attempts)."""
        attempt = _attempt_of(obj, obj.attempt)
        started = (attempt.started_at if attempt else None) or obj.started_at
        if started is None:
            return "—"
        text = local_time(started, "%Y-%m-%d %H:%M:%S")
        return (
            text
            if obj.attempt <= 1
            else _("%(at)s (attempt %(n)s)") % {"at": text, "n": obj.attempt}
        )

    def _is_detail(self, obj: TaskRun) -> bool:
        return getattr(obj, "_detail", False)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._detail = True  # the task's own page: its attempts may be read
        return obj

    @display(description=_("Arguments (sensitive values hidden)"))
    def arguments(self, obj: TaskRun) -> str:
        shown = {"args": redacted(obj.args), "kwargs": redacted(obj.kwargs)}
        return format_html(
            "<pre class='text-xs' style='white-space:pre-wrap'>{}</pre>",
            json.dumps(shown, indent=2, default=str),
        )

    @display(description=_("Result (sensitive values hidden)"))
    def result_display(self, obj: TaskRun) -> str:
        result = task_run_result(obj)
        if result is None:
            return "—"
        return format_html(
            "<pre class='text-xs' style='white-space:pre-wrap' data-testid='result'>{}</pre>",
            json.dumps(redacted(result), indent=2, default=str),
        )

    @display(description=_("Each attempt, first to last"))
    def attempts(self, obj: TaskRun) -> str:
        return render_to_string(
            "console/jobs/attempts.html",
            {
                "attempts": [
                    (attempt, STATE_COLOURS.get(attempt.state, ""))
                    for attempt in task_attempts(task_id=obj.task_id)
                ]
            },
        )

    @display(description=_("Runs of this task, oldest first"))
    def timeline(self, obj: TaskRun) -> str:
        rows = format_html_join(
            "",
            "<tr class='{}'><td class='px-2 py-1'><a href='{}'>{}</a></td>"
            "<td class='px-2 py-1'>{}</td><td class='px-2 py-1 whitespace-nowrap'>{}</td>"
            "<td class='px-2 py-1'>{}</td><td class='px-2 py-1 whitespace-nowrap'>{}</td>"
            "<td class='px-2 py-1 whitespace-nowrap'>{}</td><td class='px-2 py-1 text-xs'>{}</td>"
            "</tr>",
            (
                (
                    "font-semibold" if step.run.pk == obj.pk else "",
                    reverse("admin:jobs_taskrun_change", args=[step.run.pk]),
                    step.run.task_id[:8],
                    step.label,
                    local_time(step.run.created_at, "%Y-%m-%d %H:%M:%S"),
                    step.run.get_state_display(),
                    step.attempts,
                    "—" if step.run.duration is None else f"{step.run.duration:.2f} s",
                    (step.run.error or step.run.note)[:200],
                )
                for step in attempt_timeline(run=obj)
            ),
        )
        return format_html(
            "<table class='w-full text-sm' data-testid='timeline'><thead><tr class='text-left'>"
            "<th class='px-2 py-1'>Run</th><th class='px-2 py-1'>How</th>"
            "<th class='px-2 py-1'>Created</th><th class='px-2 py-1'>State</th>"
            "<th class='px-2 py-1'>Attempts</th><th class='px-2 py-1'>Run time</th>"
            "<th class='px-2 py-1'>Error or note</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


def _attempt_of(run: TaskRun, number: int):
    """One of the run's attempts (read once per page)."""
    attempts = run.__dict__.setdefault(
        "_attempts", {a.number: a for a in task_attempts(task_id=run.task_id)}
    )
    return attempts.get(number)
