from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from .models import DailyRollup, HourlyRollup, InteractionLog


@admin.register(InteractionLog)
class InteractionLogAdmin(ModelAdmin):
    list_display = [
        "created_at",
        "organization",
        "endpoint",
        "status_code",
        "mode",
        "response_ms",
        "success_badge",
    ]
    list_filter = ["success", "mode", "status_code", ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["organization__name", "error_kind"]
    list_select_related = ["organization"]
    show_full_result_count = False
    paginator = InfinitePaginator  # no COUNT(*), and no "0 results (Show all)"

    @display(description=_("Result"), ordering="success", label={True: "success", False: "danger"})
    def success_badge(self, obj: InteractionLog):
        return obj.success, obj.error_kind or "ok"


class RollupAdmin(ModelAdmin):
    list_display = [
        "period_start",
        "organization",
        "mode",
        "count",
        "rate",
        "p50_ms",
        "p95_ms",
        "input_characters",
    ]
    list_filter = ["mode", ("period_start", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["organization__name"]
    list_select_related = ["organization"]

    def has_add_permission(self, request) -> bool:
        return False  # roll-ups are computed from the logs, never typed in

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @display(description=_("Success rate"))
    def rate(self, obj) -> str:
        return f"{obj.success_rate} %"


admin.site.register(HourlyRollup, RollupAdmin)
admin.site.register(DailyRollup, RollupAdmin)
