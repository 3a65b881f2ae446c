import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display

from .models import PeriodicJobState, PeriodicRun, TaskRun, WorkerHeartbeat
from .selectors import redacted

STATE_COLOURS = {
    "enqueued": "info", "scheduled": "info", "executing": "warning", "complete": "success",
    "error": "danger", "retrying": "warning", "revoked": "info", "locked": "warning",
    "expired": "info", "interrupted": "danger", "canceled": "info", "timeout": "danger",
    "rate-limited": "warning", "lost": "danger",
}  # fmt: skip


class ReadOnlyAdmin(ModelAdmin):
    """History is written by the machinery, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdmin):
    list_display = [
        "short_name", "state_badge", "attempt", "periodic_job", "period_key", "started_at",
        "duration", "consumer",
    ]  # fmt: skip
    list_filter = [
        ("state", ChoicesDropdownFilter), "periodic_job", ("created_at", RangeDateTimeFilter)
    ]  # fmt: skip
    list_filter_submit = True
    search_fields = ["task_id", "name", "error"]
    show_full_result_count = False
    exclude = ["args", "kwargs"]
    readonly_fields = ["arguments"]

    @display(description=_("Task"), ordering="name")
    def short_name(self, obj: TaskRun) -> str:
        return obj.short_name

    @display(description=_("State"), ordering="state", label=STATE_COLOURS)
    def state_badge(self, obj: TaskRun):
        return obj.state, obj.get_state_display()

    @display(description=_("Arguments (sensitive values hidden)"))
    def arguments(self, obj: TaskRun) -> str:
        shown = json.dumps({"args": redacted(obj.args), "kwargs": redacted(obj.kwargs)}, indent=2)
        return format_html("<pre>{}</pre>", shown)


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = [
        "job", "period_key", "status_badge", "runs", "forced", "requested_by", "started_at",
        "finished_at",
    ]  # fmt: skip
    list_filter = [("status", ChoicesDropdownFilter), "job", "forced"]
    list_filter_submit = True
    search_fields = ["job", "period_key", "task_id"]

    @display(
        description=_("Status"),
        ordering="status",
        label={"running": "warning", "succeeded": "success", "failed": "danger",
               "lost": "danger", "skipped": "info"},
    )  # fmt: skip
    def status_badge(self, obj: PeriodicRun):
        return obj.status, obj.get_status_display()


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["consumer", "workers", "version", "started_at", "last_seen", "stopped_at"]
    search_fields = ["consumer", "host"]


@admin.register(PeriodicJobState)
class PeriodicJobStateAdmin(ModelAdmin):
    list_display = ["job", "paused", "changed_by", "changed_at"]
