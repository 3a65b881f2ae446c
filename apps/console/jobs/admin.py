"""The jobs console: task history with retry and revoke, periodic runs, schedules, consumers.

It replaces the jobs app's modest read-only admin (the console app loads last). The list's
configuration is here; what each column and field shows is in `task_columns`, the actions in
`task_actions`. Every action checks `console.operate_tasks` on the server and goes through
`apps.console.services`, which call the jobs services and write the audit trail.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.paginator import InfinitePaginator

from apps.console.filters import AwareRangeDateTimeFilter
from apps.console.mixins import OperatorMixin
from apps.console.objects import ObjectUrlsMixin, admin_path
from apps.jobs import selectors as jobs_selectors
from apps.jobs.models import TaskRun
from apps.jobs.selectors import search_is_bounded, task_runs_search

from .filters import (
    ConsumerFilter,
    PeriodicJobFilter,
    QueueFilter,
    TaskNameFilter,
)
from .latency import LatencyView, TaskLatencyView
from .subjects import subject_kind
from .task_actions import TaskRunActions
from .task_columns import TaskRunColumns


@admin.register(TaskRun)
class TaskRunAdmin(TaskRunActions, TaskRunColumns, ObjectUrlsMixin, OperatorMixin, ModelAdmin):
    """Task history: one row per task execution, 50 a page, never counted in full."""

    list_display = [
        "task_link",
        "state_badge",
        "error_excerpt",
        "attempt",
        "consumer",
        "created_at",
        "duration_display",
    ]
    list_display_links = None
    list_filter = [
        ("state", ChoicesDropdownFilter),
        TaskNameFilter,
        PeriodicJobFilter,
        QueueFilter,
        ConsumerFilter,
        ("created_at", AwareRangeDateTimeFilter),
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
    actions_detail = ["retry_detail", "retry_subjects_detail", "rerun_detail", "revoke_detail"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "failure",
                    "worked_on",
                    "task_display",
                    "task_id",
                    "state_label",
                    "attempt",
                    "queue",
                    "consumer",
                    "periodic_job",
                    "period_key",
                    "requested_by",
                    "note",
                ]
            },
        ),
        (
            _("Timing"),
            {
                "fields": [
                    "created_at",
                    "enqueued_at",
                    "started_display",
                    "finished_at",
                    "duration_display",
                ]
            },
        ),
        (_("Attempts"), {"fields": ["attempts"], "classes": ["tab"]}),
        (
            _("Arguments and result"),
            {"fields": ["arguments", "result_display"], "classes": ["tab"]},
        ),
        (_("Runs of this task"), {"fields": ["timeline"], "classes": ["tab"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)  # the history is read-only

    def get_queryset(self, request):
        # The list never needs the big text columns.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("args", "kwargs", "result", "note")
        return queryset

    def get_extra_urls(self):
        pages = [  # route, view, URL name
            ("latency/", LatencyView, "jobs_latency"),
            ("latency/<str:name>/", TaskLatencyView, "jobs_latency_task"),
        ]
        site = self.admin_site
        return [
            *(admin_path(self, r, view.as_view(admin_site=site), n) for r, view, n in pages),
            *super().get_extra_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and subject_kind(obj) is not None:
            return fieldsets
        first = [f for f in fieldsets[0][1]["fields"] if f != "worked_on"]  # ordinary task
        return [(fieldsets[0][0], {**fieldsets[0][1], "fields": first}), *fieldsets[1:]]

    def get_search_results(self, request, queryset, search_term):
        return task_runs_search(queryset, term=search_term), False

    def changelist_view(self, request, extra_context=None):
        term = request.GET.get("q", "")
        if search_is_bounded(term):
            self.message_user(
                request,
                _(
                    "Searched the newest %(n)s runs for “%(term)s”: type 3 characters or more to "
                    "search them all."
                )
                % {"n": f"{jobs_selectors.SHORT_TERM_RUNS:,}", "term": term.strip()},
                messages.INFO,
            )
        response = super().changelist_view(request, extra_context)
        query = request.GET.urlencode()
        context = getattr(response, "context_data", None) or {}
        if query:  # "retry everything matching" acts on the filters the list shows
            for item in context.get("actions_list", []):
                if "path" in item:
                    item["path"] = f"{item['path']}?{query}"
        return response


from . import periodic_admin  # noqa: E402, F401  (periodic runs, schedules, consumers, locks)
