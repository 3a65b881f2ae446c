"""The provider's events (delivered, bounced, opened...), as the webhooks reported them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from apps.mail.models import EmailEvent

from ...filters import AwareRangeDateTimeFilter
from ...mixins import ReadOnlyAdminMixin
from .common import EVENT_COLOURS, EVENT_TYPES, StudioAdmin


class EventTypeFilter(DropdownFilter):
    """anymail's normalized event types (a fixed list: no DISTINCT over the events table)."""

    title = _("event")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in EVENT_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(EmailEvent)
class EmailEventAdmin(ReadOnlyAdminMixin, StudioAdmin):
    list_display = ["received_at", "event_badge", "recipient", "provider", "email_link"]
    # In the order they arrived, by the time shown (ids follow arrival only for webhooks, not
    # for imported or back-dated rows).
    list_filter = [EventTypeFilter, ("received_at", AwareRangeDateTimeFilter)]
    list_filter_submit = True
    list_select_related = ["email"]
    search_fields = ["recipient", "message_id"]
    show_full_result_count = False
    paginator = InfinitePaginator
    ordering = ["-received_at", "-id"]
    fields = [
        "event_badge",
        "provider",
        "recipient",
        "email_link",
        "occurred_at",
        "received_at",
        "message_id",
        "event_id",
        "reject_reason",
        "server_response",
        "description",
        "click_url",
        "payload",
    ]
    readonly_fields = fields

    @display(description=_("Provider"), ordering="esp_name")
    def provider(self, obj):
        return obj.esp_name

    @display(description=_("Server response"))
    def server_response(self, obj):
        return obj.mta_response or "—"

    @display(description=_("Event"), label=EVENT_COLOURS)
    def event_badge(self, obj):
        return obj.event_type

    @display(description=_("Email"))
    def email_link(self, obj):
        if not obj.email_id:
            return "—"
        url = reverse("admin:mail_outboundemail_change", args=[obj.email_id])
        return format_html('<a class="studio-link" href="{}">{}</a>', url, obj.email)
