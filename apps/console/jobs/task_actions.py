"""Retry and revoke in the task history: one run, the selected ones, or all the list shows.

Retry is offered on runs that ended without success, revoke on runs not started yet; each
needs `console.operate_tasks` and goes through `apps.console.services` (audited).
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action
from unfold.enums import ActionVariant

from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun
from apps.jobs.selectors import redacted
from apps.jobs.services import FINISHED

from ..objects import admin_object_or_404
from ..services import operator_task_retry, operator_task_revoke

# What the task page offers: a retry for runs that ended without success, a revoke for runs
# that have not started. (A completed run can still be run again from the list.)
RETRYABLE = {s for s in FINISHED if s != TaskRun.State.COMPLETE}
REVOCABLE = {TaskRun.State.ENQUEUED, TaskRun.State.SCHEDULED, TaskRun.State.RETRYING}
FILTER_LABELS = {
    "state__exact": _("State"), "state__in": _("States"), "task": _("Task"),
    "job": _("Periodic job"), "queue": _("Queue"), "consumer": _("Consumer"), "q": _("Search"),
    "o": _("Order"), "created_at_from_0": _("From day"), "created_at_from_1": _("From time"),
    "created_at_to_0": _("To day"), "created_at_to_1": _("To time"),
}  # fmt: skip


def not_retried(queryset):
    """Runs nobody has retried yet (a retry names its original in `retry_of`)."""
    return queryset.filter(~Exists(TaskRun.objects.filter(retry_of=OuterRef("task_id"))))


class TaskRunActions:
    """The task history admin's retry and revoke actions."""

    def has_retry_permission(self, request, object_id=None) -> bool:
        if not self.has_operate_permission(request):
            return False
        return object_id is None or _state(self, request, object_id) in RETRYABLE

    def has_revoke_permission(self, request, object_id=None) -> bool:
        if not self.has_operate_permission(request):
            return False
        return object_id is None or _state(self, request, object_id) in REVOCABLE

    def _retry(self, request, run: TaskRun) -> TaskRun | None:
        try:
            return operator_task_retry(actor=request.user, run=run)
        except JobsError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None

    @action(description=_("Retry selected runs"), permissions=["operate"], icon="replay")
    def retry_selected(self, request, queryset):
        self._retry_many(request, list(queryset[: settings.OPS_RETRY_MAX]))

    def _retry_many(self, request, runs: list[TaskRun]) -> int:
        already = set(
            TaskRun.objects.filter(retry_of__in=[r.task_id for r in runs]).values_list(
                "retry_of", flat=True
            )
        )
        retried = skipped = 0
        for run in runs:
            if run.task_id in already or run.state not in FINISHED:
                skipped += 1
                continue
            retried += self._retry(request, run) is not None
        self.message_user(
            request,
            _("%(n)s runs enqueued again; %(s)s skipped (still running or already retried).")
            % {"n": retried, "s": skipped},
            messages.SUCCESS if retried else messages.WARNING,
        )
        return retried

    @action(
        description=_("Retry all matching"),
        permissions=["operate"],
        icon="replay",
        url_path="retry-matching",
    )
    def retry_matching(self, request):
        back = reverse("admin:jobs_taskrun_changelist") + (
            f"?{request.GET.urlencode()}" if request.GET else ""
        )
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:  # the list itself says what is wrong with them
            return HttpResponseRedirect(back)
        # Only runs a retry would take: finished, and not retried already.
        candidates = not_retried(changelist.get_queryset(request).filter(state__in=FINISHED))
        limit = settings.OPS_RETRY_MAX
        if request.method == "POST":
            self._retry_many(request, list(candidates[:limit]))
            return HttpResponseRedirect(back)
        count = candidates[: limit + 1].count()
        return TemplateResponse(
            request,
            "console/jobs/confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Retry every matching run?"),
                "content_title": _("Retry every matching run?"),
                "count": count,
                "limit": limit,
                "over_limit": count > limit,
                "filters": [
                    (FILTER_LABELS.get(k, k), v) for k, v in request.GET.items() if v and k != "p"
                ],
                "back": back,
                "confirm": _("Retry them"),
            },
        )

    @action(
        description=_("Retry"),
        permissions=["operate"],
        icon="replay",
        url_path="retry",
        extra_options={"display_in_dropdown": False},  # a button on the row: one click
    )
    def retry_row(self, request, object_id):
        return self._retry_one(request, object_id)

    @action(
        description=_("Retry with the same arguments"),
        permissions=["retry"],
        icon="replay",
        url_path="retry-run",
        variant=ActionVariant.PRIMARY,
    )
    def retry_detail(self, request, object_id):
        return self._retry_one(request, object_id)

    def _retry_one(self, request, object_id):
        run = admin_object_or_404(self, request, object_id)
        if request.method != "POST":
            return self._confirm(request, run, _("Retry this run?"), _("Retry"))
        copy = self._retry(request, run)
        if copy is None:
            return redirect("admin:jobs_taskrun_change", run.pk)
        self.message_user(request, _("Enqueued again as %s.") % copy.task_id, messages.SUCCESS)
        return redirect("admin:jobs_taskrun_change", copy.pk)

    @action(description=_("Revoke"), permissions=["revoke"], icon="block", url_path="revoke")
    def revoke_detail(self, request, object_id):
        run = admin_object_or_404(self, request, object_id)
        if request.method != "POST":
            return self._confirm(request, run, _("Revoke this run?"), _("Revoke"))
        try:
            operator_task_revoke(actor=request.user, run=run)
            self.message_user(request, _("Revoke requested."), messages.SUCCESS)
        except JobsError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return redirect("admin:jobs_taskrun_change", run.pk)

    def _confirm(self, request, run: TaskRun, title, confirm):
        return TemplateResponse(
            request,
            "console/jobs/confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "content_title": title,
                "run": run,
                "arguments": json.dumps(
                    {"args": redacted(run.args), "kwargs": redacted(run.kwargs)}, default=str
                ),
                "back": reverse("admin:jobs_taskrun_change", args=[run.pk]),
                "confirm": confirm,
            },
        )


def _state(model_admin, request, object_id) -> str | None:
    run = model_admin.get_object(request, str(object_id))
    return run.state if run else None
