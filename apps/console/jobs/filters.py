"""Task-history filters whose choices cost no query on the big table."""

from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter, TextFilter

from apps.jobs.adapter import task_names
from apps.jobs.models import WorkerHeartbeat
from apps.jobs.periodic import REGISTRY


class TaskNameFilter(DropdownFilter):
    """Tasks this code base defines (from huey's registry, not a DISTINCT over the history)."""

    title = _("task")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        return [(name, name.rsplit(".", 1)[-1]) for name in task_names()]

    def queryset(self, request, queryset):
        return queryset.filter(name=self.value()) if self.value() else queryset


class PeriodicJobFilter(DropdownFilter):
    """Runs of one declared periodic job (a task run names it in `periodic_job`)."""

    title = _("periodic job")
    parameter_name = "job"
    field = "periodic_job"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted(REGISTRY)]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class PeriodicRunJobFilter(PeriodicJobFilter):
    """The same choice on the periodic runs, whose column is `job`."""

    field = "job"


class ConsumerFilter(DropdownFilter):
    """Consumers that sent a heartbeat (a small table), newest first."""

    title = _("consumer")
    parameter_name = "consumer"

    def has_output(self) -> bool:
        return True  # a consumer whose heartbeat row is gone still filters the history

    def lookups(self, request, model_admin):
        names = WorkerHeartbeat.objects.order_by("-last_seen").values_list("consumer", flat=True)
        names = list(names[:100])
        current = request.GET.get(self.parameter_name)
        return [
            (name, name) for name in ([current] if current not in (None, *names) else []) + names
        ]

    def queryset(self, request, queryset):
        return queryset.filter(consumer=self.value()) if self.value() else queryset


class QueueFilter(TextFilter):
    title = _("queue")
    parameter_name = "queue"

    def queryset(self, request, queryset):
        return queryset.filter(queue=self.value().strip()) if self.value() else queryset
