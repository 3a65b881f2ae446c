"""Suppressions: the addresses never emailed, added and removed by hand (audited)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from apps.mail.models import Suppression

from .. import services
from ..forms import SuppressionForm
from .common import REASON_COLOURS, StudioAdmin


@admin.register(Suppression)
class SuppressionAdmin(StudioAdmin):
    """Addresses never emailed; operators add and remove them by hand (audited)."""

    form = SuppressionForm
    list_display = ["address", "reason_badge", "created_at", "note"]
    paginator = InfinitePaginator  # no COUNT(*), and no "0 results (Show all)"
    list_filter = [("reason", ChoicesDropdownFilter)]
    search_fields = ["address"]
    show_full_result_count = False
    readonly_fields = ["reason", "source_event", "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["address", "note"]
        return ["address", "reason", "note", "source_event", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("Reason"), label=REASON_COLOURS)
    def reason_badge(self, obj):
        return obj.reason

    def save_model(self, request, obj, form, change):
        saved = services.studio_suppression_add(
            actor=request.user, address=obj.address, note=obj.note
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.studio_suppression_remove(actor=request.user, suppression=obj)

    def delete_queryset(self, request, queryset):
        for suppression in queryset:
            services.studio_suppression_remove(actor=request.user, suppression=suppression)
