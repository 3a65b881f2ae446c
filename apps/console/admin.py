import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from .filters import AwareRangeDateTimeFilter
from .mixins import ReadOnlyAdminMixin
from .models import AuditEntry
from .words import model_name


class TargetKindFilter(DropdownFilter):
    """What kind of thing was acted on, in words ('Email template', not 'mail.EmailTemplate')."""

    title = _("kind")
    parameter_name = "target_type"

    def lookups(self, request, model_admin):
        kinds = AuditEntry.objects.exclude(target_type="").values_list("target_type", flat=True)
        return [(kind, model_name(kind)) for kind in sorted(set(kinds.distinct()))]

    def queryset(self, request, queryset):
        return queryset.filter(target_type=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The audit trail: read-only for everybody, superusers included."""

    list_display = ["created_at", "actor_email", "os_user", "action_badge", "target", "kind"]
    list_filter = ["action", TargetKindFilter, ("created_at", AwareRangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["actor_email", "target_repr", "target_id", "note"]
    show_full_result_count = False
    paginator = InfinitePaginator  # no COUNT(*), and no "0 results (Show all)"
    fields = [
        "created_at",
        "actor_email",
        "os_user",
        "action",
        "kind",
        "target",
        "target_id",
        "before_pretty",
        "after_pretty",
        "note",
    ]
    readonly_fields = fields

    @display(description=_("Target"), ordering="target_repr")
    def target(self, obj: AuditEntry) -> str:
        """What was acted on; a job or a lock is named in the note."""
        return obj.target_repr or obj.note or "—"

    @display(description=_("Kind"), ordering="target_type")
    def kind(self, obj: AuditEntry) -> str:
        if obj.target_type:
            return model_name(obj.target_type)
        return _("Periodic job") if obj.action.startswith(("job.", "lock.")) else "—"

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
