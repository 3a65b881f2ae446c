import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import display

from .mixins import ReadOnlyAdminMixin
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The audit trail: read-only for everybody, superusers included."""

    list_display = [
        "created_at", "actor_email", "os_user", "action_badge", "target_repr", "target_type",
    ]  # fmt: skip
    list_filter = ["action", "target_type", ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["actor_email", "target_repr", "target_id", "note"]
    show_full_result_count = False
    fields = [
        "created_at",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "before_pretty",
        "after_pretty",
        "note",
    ]
    readonly_fields = fields

    @display(description=_("Action"), ordering="action", label=True)
    def action_badge(self, obj: AuditEntry) -> str:
        return obj.action

    @display(description=_("Before"))
    def before_pretty(self, obj: AuditEntry) -> str:
        return _pretty(obj.before)

    @display(description=_("After"))
    def after_pretty(self, obj: AuditEntry) -> str:
        return _pretty(obj.after)


def _pretty(value) -> str:
    if value is None:
        return "—"
    return format_html(
        "<pre class='whitespace-pre-wrap text-xs'>{}</pre>",
        json.dumps(value, indent=2, default=str),
    )


from .jobs import admin as jobs_admin  # noqa: E402, F401  (registers the jobs console's admins)
from .studio import admin as studio_admin  # noqa: E402, F401
