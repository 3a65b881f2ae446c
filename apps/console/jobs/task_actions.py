"""Retry, run again and revoke in the task history: one run, the selected ones, or all the
list shows.

Which action a run may take is in `task_rules`, the retries in `task_retry`; here are the
other two and the confirmation page they share. Each needs `console.operate_tasks` and goes
through `apps.console.services` (audited).
"""

import inspect
import json

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from apps.jobs.arguments import task_function
from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun
from apps.jobs.selectors import redacted

from ..objects import admin_object_or_404
from ..services import operator_task_rerun, operator_task_revoke
from .rerun import RerunForm, arguments_text
from .task_retry import TaskRunRetry
from .task_rules import TaskRunRules


class TaskRunActions(TaskRunRetry, TaskRunRules):
    """The task history admin's retry, rerun and revoke actions."""

    @action(
        description=_("Run again with edited arguments"),
        permissions=["rerun"],
        icon="edit_note",
        url_path="rerun",
    )
    def rerun_detail(self, request, object_id):
        run = admin_object_or_404(self, request, object_id)
        form = RerunForm(request.POST or None, run=run, initial={"arguments": arguments_text(run)})
        if request.method == "POST" and form.is_valid():
            args, kwargs = form.cleaned_data["arguments"]
            try:
                copy = operator_task_rerun(actor=request.user, run=run, args=args, kwargs=kwargs)
            except JobsError as exc:
                form.add_error("arguments", str(exc))
            else:
                self.message_user(
                    request,
                    _("Enqueued with the edited arguments as %s.") % copy.task_id,
                    messages.SUCCESS,
                )
                return redirect("admin:jobs_taskrun_change", copy.pk)
        title = _("Run %(task)s again with edited arguments") % {"task": run.label}
        return TemplateResponse(
            request,
            "console/jobs/rerun.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "content_title": title,
                "run": run,
                "form": form,
                "signature": _signature(run),
                "back": reverse("admin:jobs_taskrun_change", args=[run.pk]),
            },
            status=400 if form.errors else 200,
        )

    @action(description=_("Revoke"), permissions=["revoke"], icon="block", url_path="revoke")
    def revoke_detail(self, request, object_id):
        run = admin_object_or_404(self, request, object_id)
        if request.method != "POST":
            return self._confirm(request, run, _("Revoke this run?"), _("Revoke"))
        try:
            operator_task_revoke(actor=request.user, run=run)
            self.message_user(request, _("Revoked: it will not run."), messages.SUCCESS)
        except JobsError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return redirect("admin:jobs_taskrun_change", run.pk)

    def _confirm(self, request, run: TaskRun, title, confirm, **extra):
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
                **extra,
            },
        )


def _signature(run: TaskRun) -> str:
    """The task's parameters, as the form says what it checks against."""
    func, context = task_function(run.name)
    signature = inspect.signature(func)
    if context:
        params = [p for name, p in signature.parameters.items() if name != "task"]
        signature = signature.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return f"{run.short_name}{signature.replace(return_annotation=inspect.Signature.empty)}"
