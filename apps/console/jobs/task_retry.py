"""Retry in the task history: one run, the selected ones, or all the list shows.

A run whose work is a domain object (an email delivery) is not run again blindly: its own
objects are retried with their own retry. Each goes through `apps.console.services` (audited).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun

from ..objects import admin_object_or_404, admin_path
from ..row_buttons import row_button
from ..services import operator_task_retry, operator_task_subjects_retry
from .subjects import KINDS, nothing_to_retry, subject_kind, subjects_of
from .task_rules import RETRYABLE, not_retried

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


class TaskRunRetry:
    """The task history admin's retry actions; each asks first, on the confirmation page of
    `TaskRunActions._confirm`."""

    operator_columns = ("retry_button",)

    @property
    def action_limit(self) -> int:
        """Runs one bulk action takes (the list is never counted)."""
        return settings.OPS_RETRY_MAX

    def get_extra_urls(self):
        # The row's Retry button (a column: unfold's row actions are the same on every row,
        # and Retry belongs only on the rows where it can work).
        return [
            admin_path(self, "<path:object_id>/retry/", self.retry_row, "jobs_taskrun_retry_row"),
            *super().get_extra_urls(),
        ]

    @display(description="")
    def retry_button(self, obj: TaskRun) -> str:
        if obj.state not in RETRYABLE:
            return ""
        label = _("Retry %s") % KINDS[obj.name].noun if obj.name in KINDS else _("Retry")
        url = reverse("admin:jobs_taskrun_retry_row", args=[obj.pk])
        return format_html(row_button(str(label), css_class="self-center lg:-my-2"), url=url)

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
