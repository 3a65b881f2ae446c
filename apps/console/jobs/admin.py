"""The jobs console: task history with retry and revoke, periodic runs, schedules, consumers.

It replaces the jobs app's modest read-only admin (the console app loads last). Every action
checks `console.operate_tasks` on the server and goes through `apps.console.services`, which
call the jobs services and write the audit trail.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.paginator import InfinitePaginator

from apps.console.mixins import OperatorMixin
from apps.console.objects import ObjectUrlsMixin, admin_object_or_404
from apps.jobs.exceptions import JobsError
from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.jobs.selectors import redacted, task_attempts, task_run_result, task_runs_search
from apps.jobs.services import FINISHED

from ..selectors import PERIODIC_COLOURS
from ..services import operator_task_retry, operator_task_revoke
from .filters import (
    ConsumerFilter,
    PeriodicJobFilter,
    PeriodicRunJobFilter,
    QueueFilter,
    TaskNameFilter,
)
from .timeline import attempt_timeline
from .views import (
    ConsumersView,
    LocksView,
    SchedulesView,
    job_outcome_view,
    job_pause_view,
    job_run_view,
    lock_clear_view,
)

STATE_COLOURS = {
    "enqueued": "info", "scheduled": "info", "executing": "warning", "complete": "success",
    "error": "danger", "retrying": "warning", "revoked": "info", "locked": "warning",
    "expired": "info", "interrupted": "danger", "canceled": "info", "timeout": "danger",
    "rate-limited": "warning", "lost": "danger",
}  # fmt: skip
FILTER_LABELS = {
    "state__exact": _("State"), "task": _("Task"), "job": _("Periodic job"), "queue": _("Queue"),
    "consumer": _("Consumer"), "q": _("Search"), "o": _("Order"),
    "created_at_from_0": _("From day"), "created_at_from_1": _("From time"),
    "created_at_to_0": _("To day"), "created_at_to_1": _("To time"),
}  # fmt: skip


@admin.register(TaskRun)
class TaskRunAdmin(ObjectUrlsMixin, OperatorMixin, ModelAdmin):
    """Task history: one row per task execution, 50 a page, never counted in full."""

    list_display = [
        "task_link", "state_badge", "attempt", "queue", "consumer", "created_at", "started_at",
        "duration_display",
    ]  # fmt: skip
    list_display_links = None
    list_filter = [
        ("state", ChoicesDropdownFilter),
        TaskNameFilter,
        PeriodicJobFilter,
        QueueFilter,
        ConsumerFilter,
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    list_per_page = 50
    paginator = InfinitePaginator
    show_full_result_count = False
    list_disable_select_all = True
    list_fullwidth = True
    search_fields = ["task_id"]  # the search box; get_search_results does the real work
    search_help_text = _("A task id (or its first characters), or text in the arguments.")
    ordering = ["-created_at"]
    list_before_template = "console/live_list_before.html"
    change_list_template = "console/live_change_list.html"  # rows update in place
    actions = ["retry_selected"]
    actions_list = ["retry_matching"]
    actions_row = ["retry_row"]
    actions_detail = ["retry_detail", "revoke_detail"]
    fieldsets = [
        (None, {"fields": [
            "task_id", "name", "state_label", "attempt", "queue", "consumer", "periodic_job",
            "period_key", "requested_by", "note"]}),
        (_("Timing"), {"fields": [
            "created_at", "enqueued_at", "started_at", "finished_at", "duration_display"]}),
        (_("Attempts"), {"fields": ["attempts"], "classes": ["tab"]}),
        (_("Arguments and result"), {"fields": ["arguments", "result_display"],
                                     "classes": ["tab"]}),
        (_("Runs of this task"), {"fields": ["timeline"], "classes": ["tab"]}),
    ]  # fmt: skip
    readonly_fields = [
        "task_id", "name", "state_label", "attempt", "queue", "consumer", "periodic_job",
        "period_key", "requested_by", "note", "created_at", "enqueued_at", "started_at",
        "finished_at", "duration_display", "arguments", "result_display", "timeline", "attempts",
    ]  # fmt: skip

    def get_queryset(self, request):
        # The list never needs the big text columns.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("args", "kwargs", "error", "result", "note")
        return queryset

    def get_search_results(self, request, queryset, search_term):
        return task_runs_search(queryset, term=search_term), False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        query = request.GET.urlencode()
        context = getattr(response, "context_data", None) or {}
        if query:  # "retry everything matching" acts on the filters the list shows
            for item in context.get("actions_list", []):
                if "path" in item:
                    item["path"] = f"{item['path']}?{query}"
        return response

    # -- columns ------------------------------------------------------------------------
    @display(description=_("Task"), ordering="name", header=True)
    def task_link(self, obj: TaskRun):
        url = reverse("admin:jobs_taskrun_change", args=[obj.pk])
        title = format_html('<a href="{}">{}</a>', url, obj.short_name)
        subtitle = obj.task_id[:8] + (f" · {obj.periodic_job}" if obj.periodic_job else "")
        return title, subtitle

    @display(description=_("State"), ordering="state", label=STATE_COLOURS)
    def state_badge(self, obj: TaskRun) -> str:
        return obj.state

    @display(description=_("State"))
    def state_label(self, obj: TaskRun) -> str:
        return render_to_string(
            "unfold/helpers/label.html",
            {"text": obj.get_state_display(), "variant": STATE_COLOURS.get(obj.state, "")},
        )

    @display(description=_("Duration"), ordering="duration")
    def duration_display(self, obj: TaskRun) -> str:
        return "—" if obj.duration is None else f"{obj.duration:.2f} s"

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
                    step.run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
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
            "<th class='px-2 py-1'>Attempts</th><th class='px-2 py-1'>Duration</th>"
            "<th class='px-2 py-1'>Error or note</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # -- actions ------------------------------------------------------------------------
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
        candidates = changelist.get_queryset(request).filter(state__in=FINISHED)
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
                "opts": self.model._meta,
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

    @action(description=_("Retry"), permissions=["operate"], icon="replay", url_path="retry")
    def retry_row(self, request, object_id):
        return self._retry_one(request, object_id)

    @action(
        description=_("Retry with the same arguments"),
        permissions=["operate"],
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

    @action(description=_("Revoke"), permissions=["operate"], icon="block", url_path="revoke")
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
                "opts": self.model._meta,
                "run": run,
                "arguments": json.dumps(
                    {"args": redacted(run.args), "kwargs": redacted(run.kwargs)}, default=str
                ),
                "back": reverse("admin:jobs_taskrun_change", args=[run.pk]),
                "confirm": confirm,
            },
        )


@admin.register(PeriodicRun)
class PeriodicRunAdmin(OperatorMixin, ModelAdmin):
    """One row per periodic job and period; the schedules and locks pages hang off it."""

    list_display = [
        "job", "period_key", "status_badge", "runs", "forced", "requested_by", "consumer",
        "started_at", "duration_display",
    ]  # fmt: skip
    list_filter = [
        ("status", ChoicesDropdownFilter),
        PeriodicRunJobFilter,
        "forced",
        ("started_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["period_key", "task_id"]
    paginator = InfinitePaginator
    show_full_result_count = False
    list_fullwidth = True
    readonly_fields = [f.name for f in PeriodicRun._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(period_key__startswith=term) | queryset.filter(task_id=term), False

    def get_urls(self):
        urls = [
            path(
                "schedules/",
                self.admin_site.admin_view(SchedulesView.as_view(admin_site=self.admin_site)),
                name="jobs_schedules",
            ),
            path(
                "schedules/<str:name>/run/",
                self.admin_site.admin_view(job_run_view),
                name="jobs_schedule_run",
            ),
            path(
                "schedules/<str:name>/runs/<str:task_id>/",
                self.admin_site.admin_view(job_outcome_view),
                name="jobs_schedule_outcome",
            ),
            path(
                "schedules/<str:name>/pause/",
                self.admin_site.admin_view(job_pause_view),
                name="jobs_schedule_pause",
            ),
            path(
                "locks/",
                self.admin_site.admin_view(LocksView.as_view(admin_site=self.admin_site)),
                name="jobs_locks",
            ),
            path(
                "locks/<str:name>/clear/",
                self.admin_site.admin_view(lock_clear_view),
                name="jobs_lock_clear",
            ),
        ]
        return urls + super().get_urls()

    @display(description=_("Status"), ordering="status", label=PERIODIC_COLOURS)
    def status_badge(self, obj: PeriodicRun):
        return obj.status, obj.get_status_display()

    @display(description=_("Duration"))
    def duration_display(self, obj: PeriodicRun) -> str:
        return "—" if obj.duration is None else f"{obj.duration:.2f} s"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(OperatorMixin, ModelAdmin):
    """Its list is the consumers page: live ones, their heartbeat age and what they run."""

    def changelist_view(self, request, extra_context=None):
        return ConsumersView.as_view(admin_site=self.admin_site)(request)
