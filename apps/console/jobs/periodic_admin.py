"""The periodic runs' admin, with the schedules, locks and consumers pages hanging off it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from apps.console.filters import AwareRangeDateTimeFilter
from apps.console.mixins import OperatorMixin
from apps.console.objects import admin_path
from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.jobs.periodic import REGISTRY

from ..selectors import PERIODIC_COLOURS
from ..words import period_label, result_words
from .filters import PeriodicRunJobFilter
from .views import (
    ConsumersView,
    LocksView,
    SchedulesView,
    job_outcome_view,
    job_pause_view,
    job_run_view,
    lock_clear_view,
    time_zone_view,
)


@admin.register(PeriodicRun)
class PeriodicRunAdmin(OperatorMixin, ModelAdmin):
    """One row per periodic job and period; the schedules and locks pages hang off it."""

    list_display = [
        "job",
        "period",
        "status_badge",
        "result_words",
        "runs",
        "forced",
        "requested_by",
        "started_at",
        "duration_display",
    ]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        PeriodicRunJobFilter,
        "forced",
        ("started_at", AwareRangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["period_key", "task_id"]
    paginator = InfinitePaginator
    show_full_result_count = False
    list_fullwidth = True
    fields = [
        "job",
        "period",
        "status_badge",
        "result_words",
        "error",
        "runs",
        "forced",
        "requested_by",
        "task_link",
        "consumer",
        "started_at",
        "finished_at",
        "duration_display",
    ]
    readonly_fields = fields

    @display(description=_("Period"), ordering="period_key")
    def period(self, obj: PeriodicRun) -> str:
        spec = REGISTRY.get(obj.job)
        return period_label(spec.period, obj.period_key) if spec else obj.period_key

    @display(description=_("Result"))
    def result_words(self, obj: PeriodicRun) -> str:
        return result_words(obj.result)

    @display(description=_("Task"))
    def task_link(self, obj: PeriodicRun) -> str:
        run = TaskRun.objects.filter(task_id=obj.task_id).only("pk", "name", "task_id").first()
        if run is None:
            return obj.task_id or "—"
        url = reverse("admin:jobs_taskrun_change", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(period_key__startswith=term) | queryset.filter(task_id=term), False

    def get_urls(self):
        site = self.admin_site
        pages = [  # route, view, URL name
            ("schedules/", SchedulesView.as_view(admin_site=site), "jobs_schedules"),
            ("schedules/time-zone/", time_zone_view, "jobs_schedules_time_zone"),
            ("schedules/<str:name>/run/", job_run_view, "jobs_schedule_run"),
            ("schedules/<str:name>/runs/<str:task_id>/", job_outcome_view, "jobs_schedule_outcome"),
            ("schedules/<str:name>/pause/", job_pause_view, "jobs_schedule_pause"),
            ("locks/", LocksView.as_view(admin_site=site), "jobs_locks"),
            ("locks/<str:name>/clear/", lock_clear_view, "jobs_lock_clear"),
        ]
        return [admin_path(self, *page) for page in pages] + super().get_urls()

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
