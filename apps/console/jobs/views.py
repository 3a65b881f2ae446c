"""The jobs console's own pages (schedules, consumers, locks) and their POST-only actions."""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.jobs.exceptions import JobsError
from apps.jobs.periodic import REGISTRY
from apps.jobs.selectors import locks_list, schedules_overview

from ..selectors import PERIODIC_COLOURS, consumers_overview
from ..services import operator_job_pause, operator_job_run_now, operator_locks_clear

OPERATE = "console.operate_tasks"


class _Page(UnfoldModelAdminViewMixin, TemplateView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_operate"] = self.request.user.has_perm(OPERATE)
        context["opts"] = self.model_admin.model._meta
        return context


class SchedulesView(_Page):
    """Every periodic job: schedule in words, next and last run, recent outcomes, run now."""

    title = _("Schedules")
    permission_required = ("jobs.view_periodicrun",)
    template_name = "console/jobs/schedules.html"

    def get_context_data(self, **kwargs):
        schedules = [
            (job, PERIODIC_COLOURS.get(job.last_run.status, "") if job.last_run else "")
            for job in schedules_overview()
        ]
        return {**super().get_context_data(**kwargs), "schedules": schedules}


class ConsumersView(_Page):
    """Consumers with their heartbeat age and running tasks; dead ones stand out."""

    title = _("Consumers")
    permission_required = ("jobs.view_workerheartbeat",)
    template_name = "console/jobs/consumers.html"

    def get_context_data(self, **kwargs):
        consumers = consumers_overview()
        return {
            **super().get_context_data(**kwargs),
            "consumers": consumers,
            "alive": sum(c.status == "alive" for c in consumers),
            "dead": sum(c.status == "dead" for c in consumers),
        }


class LocksView(_Page):
    """The periodic jobs' locks; a stale one (no live run holds it) can be cleared."""

    title = _("Locks")
    permission_required = ("jobs.view_periodicrun",)
    template_name = "console/jobs/locks.html"

    def get_context_data(self, **kwargs):
        try:
            locks, broker_error = locks_list(), ""
        except Exception as exc:  # the locks live in the broker: its being down is the answer
            locks, broker_error = [], str(exc)
        return {**super().get_context_data(**kwargs), "locks": locks, "broker_error": broker_error}


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
    try:
        task_id = operator_job_run_now(actor=request.user, name=name)
        messages.success(request, _("%(job)s handed to the consumers (task %(id)s).")
                         % {"job": name, "id": task_id[:8]})  # fmt: skip
    except JobsError as exc:
        messages.error(request, str(exc))
    return redirect("admin:jobs_schedules")


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
