"""Retry and revoke in the task history: one run, the selected ones, or all the list shows.

Retry is offered only where it can work: on runs that ended without success, never on a
completed or a waiting one. A task whose work is a domain object (an email delivery) is not
run again blindly, which would do nothing: its own objects are retried with their own action
(the email's Retry), or the page says there is nothing to retry. Revoke is offered on runs not
started yet. Each needs `console.operate_tasks` and goes through `apps.console.services`
(audited).
"""

import inspect
import json
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.jobs.arguments import task_function
from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun
from apps.jobs.selectors import redacted
from apps.jobs.services import FINISHED

from ..objects import admin_object_or_404
from ..services import (
    operator_task_rerun,
    operator_task_retry,
    operator_task_revoke,
    operator_task_subjects_retry,
)
from .rerun import RerunForm, arguments_text
from .subjects import KINDS, nothing_to_retry, subject_kind, subjects_of

# What the console offers: a retry for runs that ended without success (a completed run is run
# again deliberately, with "Run again", issue 19.10), a revoke for runs that have not started.
RETRYABLE = frozenset(s for s in FINISHED if s != TaskRun.State.COMPLETE)
REVOCABLE = frozenset({TaskRun.State.ENQUEUED, TaskRun.State.SCHEDULED, TaskRun.State.RETRYING})
FILTER_LABELS = {
    "state__exact": _("State"),
    "state__in": _("States"),
    "task": _("Task"),
    "job": _("Periodic job"),
    "queue": _("Queue"),
    "consumer": _("Consumer"),
    "q": _("Search"),
    "o": _("Order"),
    "created_at_from_0": _("From day"),
    "created_at_from_1": _("From time"),
    "created_at_to_0": _("To day"),
    "created_at_to_1": _("To time"),
}


def not_retried(queryset):
    """Runs nobody has retried yet (a retry names its original in `retry_of`)."""
    return queryset.filter(~Exists(TaskRun.objects.filter(retry_of=OuterRef("task_id"))))


class TaskRunActions:
    """The task history admin's retry and revoke actions."""

    @property
    def action_limit(self) -> int:
        """Runs one bulk action takes (the list is never counted)."""
        return settings.OPS_RETRY_MAX

    def has_retry_permission(self, request, object_id=None) -> bool:
        """Retry with the same arguments: a failed run of an ordinary task."""
        if not self.has_operate_permission(request):
            return False
        if object_id is None:
            return True
        run = _run(self, request, object_id)
        return run is not None and run.state in RETRYABLE and subject_kind(run) is None

    def has_retry_subjects_permission(self, request, object_id=None) -> bool:
        """Retry its emails: a delivery task with a failed or interrupted email."""
        if not self.has_operate_permission(request):
            return False
        if object_id is None:
            return True
        run = _run(self, request, object_id)
        return run is not None and any(s.retryable for s in subjects_of(run))

    def has_rerun_permission(self, request, object_id=None) -> bool:
        """Run again with edited arguments: a finished run of a task this code defines (not a
        delivery task, whose emails have their own actions)."""
        if not self.has_operate_permission(request):
            return False
        if object_id is None:
            return True
        run = _run(self, request, object_id)
        return run is not None and run.state in FINISHED and _reruns(run)

    def has_revoke_permission(self, request, object_id=None) -> bool:
        if not self.has_operate_permission(request):
            return False
        return object_id is None or getattr(_run(self, request, object_id), "state", None) in (
            REVOCABLE
        )

    def get_extra_urls(self):
        # The row's Retry button (a column: unfold's row actions are the same on every row,
        # and Retry belongs only on the rows where it can work).
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_row),
                name="jobs_taskrun_retry_row",
            ),
            *super().get_extra_urls(),
        ]

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, "retry_button"] if self.has_operate_permission(request) else shown

    @display(description="")
    def retry_button(self, obj: TaskRun) -> str:
        if obj.state not in RETRYABLE:
            return ""
        label = _("Retry %s") % KINDS[obj.name].noun if obj.name in KINDS else _("Retry")
        url = reverse("admin:jobs_taskrun_retry_row", args=[obj.pk])
        return format_html(_button_markup(str(label)), url=url)

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
        retried = objects = skipped = 0
        for run in runs:
            if run.task_id in already or run.state not in RETRYABLE:
                skipped += 1
            elif subject_kind(run) is not None:
                done = len(operator_task_subjects_retry(actor=request.user, run=run))
                objects += done
                skipped += not done
            else:
                retried += self._retry(request, run) is not None
        text = _(
            "%(n)s runs enqueued again; %(s)s skipped (still waiting or running, "
            "completed, already retried, or nothing left to retry)."
        )
        if objects:
            text = _("%(o)s emails queued again (their own retry); ") % {"o": objects} + text
        self.message_user(
            request,
            text % {"n": retried, "s": skipped},
            messages.SUCCESS if retried or objects else messages.WARNING,
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
        # Only runs a retry would take: ended without success, and not retried already.
        candidates = not_retried(changelist.get_queryset(request).filter(state__in=RETRYABLE))
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

    def retry_row(self, request, object_id):
        if not self.has_operate_permission(request):
            raise PermissionDenied
        run = admin_object_or_404(self, request, object_id)
        if run.state not in RETRYABLE:
            raise PermissionDenied  # as the detail actions: not offered, refused by URL
        if subject_kind(run) is not None:
            return self._retry_subjects(request, run)
        return self._retry_one(request, run)

    @action(
        description=_("Retry with the same arguments"),
        permissions=["retry"],
        icon="replay",
        url_path="retry-run",
        variant=ActionVariant.PRIMARY,
    )
    def retry_detail(self, request, object_id):
        return self._retry_one(request, admin_object_or_404(self, request, object_id))

    @action(
        description=_("Retry its emails"),
        permissions=["retry_subjects"],
        icon="forward_to_inbox",
        url_path="retry-subjects",
        variant=ActionVariant.PRIMARY,
    )
    def retry_subjects_detail(self, request, object_id):
        return self._retry_subjects(request, admin_object_or_404(self, request, object_id))

    def _retry_one(self, request, run: TaskRun):
        if request.method != "POST":
            return self._confirm(request, run, _("Retry this run?"), _("Retry"))
        copy = self._retry(request, run)
        if copy is None:
            return redirect("admin:jobs_taskrun_change", run.pk)
        self.message_user(request, _("Enqueued again as %s.") % copy.task_id, messages.SUCCESS)
        return redirect("admin:jobs_taskrun_change", copy.pk)

    def _retry_subjects(self, request, run: TaskRun):
        """A delivery task: retry its failed or interrupted emails, each with its own retry."""
        kind, subjects = subject_kind(run), subjects_of(run)
        retryable = [s for s in subjects if s.retryable]
        if request.method != "POST" or not retryable:
            title = ngettext("Retry its %(noun)s?", "Retry its %(plural)s?", len(retryable)) % {
                "noun": kind.noun,
                "plural": kind.plural,
            }
            return self._confirm(
                request,
                run,
                title,
                ngettext("Retry %(n)s %(noun)s", "Retry %(n)s %(plural)s", len(retryable))
                % {"n": len(retryable), "noun": kind.noun, "plural": kind.plural},
                subjects=subjects,
                kind=kind,
                nothing="" if retryable else nothing_to_retry(kind, subjects),
            )
        done = operator_task_subjects_retry(actor=request.user, run=run)
        if not done:
            self.message_user(request, nothing_to_retry(kind, subjects_of(run)), messages.WARNING)
            return redirect("admin:jobs_taskrun_change", run.pk)
        self.message_user(
            request,
            ngettext("%(label)s queued again.", "%(n)s %(plural)s queued again.", len(done))
            % {"label": done[0].label, "n": len(done), "plural": kind.plural},
            messages.SUCCESS,
        )
        # Where the operator sees the outcome: the email itself (or the task's list of them).
        return redirect(
            done[0].url if len(done) == 1 else reverse("admin:jobs_taskrun_change", args=[run.pk])
        )

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


@lru_cache(maxsize=8)
def _button_markup(label: str) -> str:
    """unfold's small button, rendered once per label (50 rows a page) with a URL slot."""
    html = render_to_string(
        "unfold/components/button.html",
        {
            "href": "__url__",
            "size": "xs",
            "variant": "default",
            "icon": "replay",
            "children": label,
            "class": "self-center lg:-my-2",
        },
    )
    return html.replace("{", "{{").replace("}", "}}").replace("__url__", "{url}")


def _reruns(run: TaskRun) -> bool:
    """Whether `run`'s task can be run again with other arguments from here."""
    if subject_kind(run) is not None:
        return False
    try:
        task_function(run.name)
    except JobsError:  # a task this code no longer defines
        return False
    return True


def _signature(run: TaskRun) -> str:
    """The task's parameters, as the form says what it checks against."""
    func, context = task_function(run.name)
    signature = inspect.signature(func)
    if context:
        params = [p for name, p in signature.parameters.items() if name != "task"]
        signature = signature.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return f"{run.short_name}{signature.replace(return_annotation=inspect.Signature.empty)}"


def _run(model_admin, request, object_id) -> TaskRun | None:
    """The run a permission check is about, read once per request (a page asks for each of
    its actions)."""
    cache = request.__dict__.setdefault("_console_runs", {})
    key = str(object_id)
    if key not in cache:
        cache[key] = model_admin.get_object(request, key)
    return cache[key]
