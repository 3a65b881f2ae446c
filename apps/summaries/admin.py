from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display

from .models import Document, SummarizationRequest


@admin.register(SummarizationRequest)
class SummarizationRequestAdmin(ModelAdmin):
    list_display = [
        "id",
        "organization",
        "user",
        "mode_badge",
        "input_characters",
        "status_badge",
        "created_at",
    ]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        ("mode", ChoicesDropdownFilter),
        "organization",
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["organization__name", "user__email"]
    list_select_related = ["organization", "user"]
    readonly_fields = [
        "organization",
        "user",
        "mode",
        "input_characters",
        "output_characters",
        "created_at",
        "completed_at",
    ]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @display(
        description=_("Mode"),
        ordering="mode",
        label={"brief": "info", "detailed": "info", "bullet_points": "info", "executive": "info"},
    )
    def mode_badge(self, obj: SummarizationRequest) -> tuple[str, str]:
        return obj.mode, obj.get_mode_display()

    @display(
        description=_("Status"),
        ordering="status",
        label={"pending": "warning", "completed": "success", "failed": "danger"},
    )
    def status_badge(self, obj: SummarizationRequest) -> tuple[str, str]:
        return obj.status, obj.get_status_display()


@admin.register(Document)
class DocumentAdmin(ModelAdmin):
    list_display = [
        "original_name",
        "owner",
        "organization",
        "human_size",
        "content_type",
        "created_at",
    ]
    list_filter = ["content_type", ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["original_name", "owner__email"]
    list_select_related = ["owner", "organization"]
    readonly_fields = ["size", "content_type", "created_at", "original_name"]
    autocomplete_fields = ["owner", "organization"]

    @display(description=_("Size"), ordering="size")
    def human_size(self, obj: Document) -> str:
        return filesizeformat(obj.size)
