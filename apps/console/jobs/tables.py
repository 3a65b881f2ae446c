"""The jobs console's own pages as unfold `table` components: headers, and rows of cells."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from apps.jobs import clock
from apps.jobs.periodic import REGISTRY
from apps.jobs.selectors import LockInfo, Schedule

from ..selectors import PERIODIC_COLOURS, Consumer
from ..words import (
    ago,
    description_words,
    in_words,
    local_time,
    period_label,
    result_words,
    task_label,
)

TRACKER_COLOURS = {
    "succeeded": "bg-green-500",
    "running": "bg-orange-400",
    "skipped": "bg-base-300",
    "failed": "bg-red-600",
    "lost": "bg-red-600",
}


def label(text, variant: str = "", title: str = "") -> str:
    return render_to_string(
        "unfold/helpers/label.html", {"text": text, "variant": variant, "label_title": title}
    )


# --- schedules ---------------------------------------------------------------------------------


def schedules_table(schedules: list[Schedule], *, can_operate: bool, request) -> dict:
    return {
        "headers": [
            _("Job"),
            _("Schedule"),
            _("Next run"),
            _("Last run"),
            _("Recent runs"),
            _("State"),
            "",
        ],
        "rows": [_schedule_row(s, can_operate, request) for s in schedules],
    }


def _schedule_row(job: Schedule, can_operate: bool, request) -> dict:
    return {
        "attrs": {"data-job": job.name},
        "cols": [
            format_html(
                '<div class="font-semibold text-important">{}</div>'
                '<div class="text-xs text-subtle max-w-64 whitespace-normal">{}</div>',
                job.name,
                description_words(job.description),
            ),
            format_html(
                '<div>{}</div><div class="text-xs text-subtle">{}</div>',
                schedule_words(job),
                job.crontab,
            ),
            _next_run(job),
            _last_run(job),
            render_to_string(
                "unfold/components/tracker.html",
                {"data": _tracker(job), "size": "sm", "class": "w-36"},
            ),
            _state(job),
            render_to_string(
                "console/jobs/schedule_actions.html",
                {"job": job, "can_operate": can_operate, "run_now_title": _run_now_title(job)},
                request=request,
            ),
        ],
    }


def schedule_words(job: Schedule) -> str:
    """'every hour at :05; each run covers the previous hour' (nothing about periods when a run
    simply covers the period it runs in)."""
    spec = REGISTRY.get(job.name)
    if spec is not None and spec.covers == -1:
        return _("%(words)s; each run covers the previous %(period)s") % {
            "words": job.words,
            "period": job.period,
        }
    return job.words


def _run_now_title(job: Schedule) -> str:
    """What Run now does: the latest period its schedule triggered, again (never the period of
    the next scheduled run, which still happens)."""
    spec = REGISTRY.get(job.name)
    if spec is None:
        return ""
    period = spec.latest_due_period(clock.now())
    return _("Run %(period)s now, even if it already ran; the next scheduled run still happens") % {
        "period": period_label(job.period, period.key)
    }


def _next_run(job: Schedule) -> str:
    """The next run that will do something, the period it covers, any trigger before it that
    will find its period already run, and the next five runs (local time, clock changes)."""
    if job.paused:
        return format_html('<span class="text-subtle">{}</span>', _("paused"))
    if job.next_run is None:
        return "—"
    runs = next((u for u in job.upcoming if u.trigger == job.next_run), None)
    covers = period_label(job.period, runs.period) if runs else ""
    skipped = format_html_join(
        "",
        '<div class="text-xs text-orange-700 dark:text-orange-400" data-testid="skipped">{}</div>',
        (
            (
                _("%(when)s skipped: %(period)s already ran")
                % {"when": local_time(u.trigger), "period": period_label(job.period, u.period)},
            )
            for u in job.upcoming
            if u.skipped and u.trigger < job.next_run
        ),
    )
    return format_html(
        '<div class="whitespace-nowrap" data-testid="next-run">{}</div>'
        '<div class="text-xs text-subtle">{} · {}</div>{}{}',
        local_time(job.next_run),
        in_words(job.next_run),
        covers,
        skipped,
        _upcoming(job),
    )


def _upcoming(job: Schedule) -> str:
    """The next five triggers in local time; one after a clock change says its new offset."""
    now_offset = timezone.localtime().utcoffset()
    items = []
    for upcoming in job.upcoming:
        local = timezone.localtime(upcoming.trigger)
        note = ""
        if local.utcoffset() != now_offset:
            note = _(" (after the clock change, UTC%(offset)s)") % {"offset": f"{local:%z}"}
        if upcoming.skipped:
            note += _(" — skipped: its period already ran")
        items.append((local_time(upcoming.trigger), note))
    return format_html(
        '<details class="text-xs" data-testid="next-five"><summary class="cursor-pointer '
        'text-primary-600">{}</summary><ol class="mt-1">{}</ol></details>',
        _("next %(n)s runs") % {"n": len(items)},
        format_html_join("", "<li>{}{}</li>", items),
    )


def _last_run(job: Schedule) -> str:
    run = job.last_run
    if run is None:
        return format_html('<span class="text-subtle">{}</span>', _("never"))
    href = reverse("admin:jobs_periodicrun_change", args=[run.pk])
    when = ago(run.started_at)
    duration = "" if run.duration is None else f" · {run.duration:.1f} s"
    return format_html(
        '<a href="{}" data-testid="last-run">{}</a>'
        '<div class="text-xs text-subtle">{} · {}{}</div>',
        href,
        label(run.get_status_display(), PERIODIC_COLOURS.get(run.status, "")),
        period_label(job.period, run.period_key),
        when,
        duration,
    )


def _tracker(job: Schedule) -> list[dict]:
    return [
        {
            "color": TRACKER_COLOURS.get(run.status, "bg-base-300"),
            "tooltip": f"{period_label(job.period, run.period_key)}: {run.get_status_display()}"
            + (f" ({result_words(run.result)})" if run.result else ""),
            "href": reverse("admin:jobs_periodicrun_change", args=[run.pk]),
        }
        for run in job.recent_oldest_first
    ]


def _state(job: Schedule) -> str:
    expected = period_label(job.period, job.expected_period) if job.expected_period else ""
    if job.paused:
        return label(_("Paused"), "info")
    if job.problem == "missed":
        return label(_("Late"), "danger", _("No run for %s") % expected)
    if job.problem == "failed":
        return label(_("Failed"), "danger", _("The run for %s failed") % expected)
    return label(_("On time"), "success")


# --- locks -------------------------------------------------------------------------------------


def locks_table(locks: list[LockInfo], *, can_operate: bool, request) -> dict:
    return {
        "headers": [_("Job"), _("Lock"), _("Held by"), ""],
        "rows": [
            {
                "attrs": {"data-job": lock.job},
                "cols": [
                    format_html('<span class="font-semibold text-important">{}</span>', lock.job),
                    _lock_state(lock),
                    lock.holder,
                    render_to_string(
                        "console/jobs/lock_actions.html",
                        {"lock": lock, "can_operate": can_operate},
                        request=request,
                    ),
                ],
            }
            for lock in locks
        ],
    }


def _lock_state(lock: LockInfo) -> str:
    if lock.stale:
        return label(_("Stale: its holder died"), "danger")
    if lock.locked:
        return label(_("Held by a live run"), "warning")
    return label(_("Free"), "success")


# --- consumers ---------------------------------------------------------------------------------

CONSUMER_STATES = {
    "alive": ("Alive", "success"),
    "dead": ("Dead", "danger"),
    "stopped": ("Stopped", ""),
}


def consumers_table(consumers: list[Consumer]) -> dict:
    return {
        "headers": [
            _("Consumer"),
            _("State"),
            _("Last heartbeat"),
            _("Workers"),
            _("Running now"),
            _("Started"),
        ],
        "rows": [_consumer_row(c) for c in consumers],
    }


def _consumer_row(consumer: Consumer) -> dict:
    beat = consumer.beat
    text, variant = CONSUMER_STATES[consumer.status]
    history = reverse("admin:jobs_taskrun_changelist") + f"?consumer={beat.consumer}"
    return {
        "attrs": {"data-consumer": beat.consumer, "data-status": consumer.status},
        "cols": [
            format_html(
                '<a class="font-semibold text-important" href="{}">{}</a>'
                '<div class="text-xs text-subtle">{} · pid {}</div>',
                history,
                beat.consumer,
                beat.host,
                beat.pid,
            ),
            label(_(text), variant),
            ago(beat.last_seen),
            beat.workers,
            _running(consumer),
            local_time(beat.started_at),
        ],
    }


def _running(consumer: Consumer) -> str:
    if not consumer.running:
        return format_html('<span class="text-subtle">{}</span>', _("idle"))
    return format_html_join(
        "",
        '<div><a class="text-primary-600" href="{}">{}</a> '
        '<span class="text-xs text-subtle">{}</span></div>',
        (
            (
                reverse("admin:jobs_taskrun_change", args=[run.pk]),
                task_label(run.name),
                ago(run.started_at) if run.started_at else "",
            )
            for run in consumer.running
        ),
    )
