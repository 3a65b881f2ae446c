"""The jobs console's own pages (schedules, consumers, locks) and their POST-only actions.

They are unfold site pages (`UnfoldSiteViewMixin`): the sidebar's branding, a breadcrumb with
the page's own name, unfold's table and tracker components.
"""

import functools
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView
from unfold.views import UnfoldSiteViewMixin

from apps.jobs.exceptions import JobsError
from apps.jobs.models import PeriodicRun, TaskRun
from apps.jobs.periodic import REGISTRY
from apps.jobs.selectors import locks_list, schedules_overview

from ..selectors import consumers_overview
from ..services import (
    operator_job_pause,
    operator_job_run_now,
    operator_locks_clear,
    staff_time_zone_set,
)
from ..timezones import staff_time_zone, zone_names
from ..words import result_words
from .calendar import week_calendar
from .tables import consumers_table, locks_table, schedules_table

OPERATE = "console.operate_tasks"
TASK_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _Page(UnfoldSiteViewMixin, TemplateView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_operate"] = self.request.user.has_perm(OPERATE)
        context["content_title"] = self.title  # the breadcrumb: this page, not a model
        return context


class SchedulesView(_Page):
    """Every periodic job: schedule in words, next runs in the operator's time zone, last run,
    recent outcomes, run now; and the coming week as a calendar."""

    title = _("Schedules")
    permission_required = ("jobs.view_periodicrun",)
    template_name = "console/jobs/schedules.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["table"] = schedules_table(
            schedules_overview(), can_operate=context["can_operate"], request=self.request
        )
        context["calendar"] = week_calendar()
        context["zone"] = staff_time_zone(self.request) or "UTC"
        context["zones"] = sorted(zone_names())
        return context


def time_zone_view(request):
    """A staff member picks the zone the console shows times in (their own setting)."""
    if not request.user.is_staff:
        raise PermissionDenied
    if request.method != "POST":
        return require_POST(time_zone_view)(request)
    try:
        name = staff_time_zone_set(
            user=request.user, name=request.POST.get("time_zone", ""), session=request.session
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Times are shown in %s.") % (name or "UTC"))
    return redirect("admin:jobs_schedules")


class ConsumersView(_Page):
    """Consumers with their heartbeat age and running tasks; dead ones stand out."""

    title = _("Consumers")
    permission_required = ("jobs.view_workerheartbeat",)
    template_name = "console/jobs/consumers.html"

    def get_context_data(self, **kwargs):
        consumers = consumers_overview()
        return {
            **super().get_context_data(**kwargs),
            "table": consumers_table(consumers),
            "alive": sum(c.status == "alive" for c in consumers),
            "dead": sum(c.status == "dead" for c in consumers),
        }


class LocksView(_Page):
    """The periodic jobs' locks; a stale one (no live run holds it) can be cleared."""

    title = _("Locks")
    permission_required = ("jobs.view_periodicrun",)
    template_name = "console/jobs/locks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            locks, context["broker_error"] = locks_list(), ""
        except Exception as exc:  # the locks live in the broker: its being down is the answer
            locks, context["broker_error"] = [], str(exc)
        context["table"] = locks_table(
            locks, can_operate=context["can_operate"], request=self.request
        )
        return context


def operator_post(view):
    """Operators only (403 for everybody else, whatever the method), a declared job (404
    otherwise, like an unknown id), then POST only."""

    @functools.wraps(view)
    def wrapper(request, *args, name: str, **kwargs):
        if not request.user.has_perm(OPERATE):
            raise PermissionDenied
        if name not in REGISTRY:
            raise Http404("No periodic job of that name.")
        return require_POST(view)(request, *args, name=name, **kwargs)

    return wrapper


@operator_post
def job_run_view(request, name: str):
    """Run now. From the schedules page (htmx) the answer is the run's outcome, in place."""
    try:
        task_id = operator_job_run_now(actor=request.user, name=name)
    except JobsError as exc:
        if request.headers.get("HX-Request"):
            return _outcome(request, name, error=str(exc))
        messages.error(request, str(exc))
        return redirect("admin:jobs_schedules")
    if request.headers.get("HX-Request"):
        return _outcome(request, name, task_id=task_id)
    messages.success(
        request,
        _("%(job)s handed to the consumers (task %(id)s).") % {"job": name, "id": task_id[:8]},
    )
    return redirect("admin:jobs_schedules")


def job_outcome_view(request, name: str, task_id: str):
    """The outcome of one run-now, polled by the schedules page until it is known."""
    if not request.user.has_perm("jobs.view_periodicrun"):
        raise PermissionDenied
    if name not in REGISTRY or not TASK_ID.match(task_id):
        raise Http404("No such run.")
    return require_GET(_outcome)(request, name, task_id=task_id)


def _outcome(request, name: str, *, task_id: str = "", error: str = ""):
    run = TaskRun.objects.filter(task_id=task_id).first() if task_id else None
    periodic = PeriodicRun.objects.filter(task_id=task_id).first() if task_id else None
    state = "refused" if error else (run.state if run else "enqueued")
    finished = bool(error) or (run is not None and run.finished_at is not None)
    if not finished and periodic is not None and periodic.finished_at is not None:
        # The job wrote its outcome; the task history may record it a moment later.
        state = "complete" if periodic.status == PeriodicRun.Status.SUCCEEDED else "error"
        finished = True
    return TemplateResponse(
        request,
        "console/jobs/run_outcome.html",
        {
            "name": name,
            "task_id": task_id,
            "run": run,
            "periodic": periodic,
            "state": state,
            "error": error or (run.error if run else "") or (periodic.error if periodic else ""),
            "finished": finished,
            "duration": _duration(run, periodic),
            "result": result_words(periodic.result) if periodic else "",
        },
    )


def _duration(run, periodic) -> float | None:
    if run is not None and run.duration is not None:
        return run.duration
    return periodic.duration if periodic is not None else None


@operator_post
def job_pause_view(request, name: str):
    paused = request.POST.get("paused") == "1"
    operator_job_pause(actor=request.user, name=name, paused=paused)
    messages.success(request, (_("%s paused.") if paused else _("%s resumed.")) % name)
    return redirect("admin:jobs_schedules")


@operator_post
def lock_clear_view(request, name: str):
    cleared = operator_locks_clear(actor=request.user, names=[name])
    if cleared:
        messages.success(request, _("Lock of %s cleared.") % name)
    else:
        messages.warning(request, _("The lock of %s is not stale; nothing was cleared.") % name)
    return redirect("admin:jobs_locks")
