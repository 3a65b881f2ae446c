"""Basic console pages for email; the full studio (preview, diff, test sends) comes later."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display

from .exceptions import TemplateInvalidError
from .models import (
    DeliveryAttempt,
    EmailEvent,
    EmailLayout,
    EmailPreference,
    EmailTemplate,
    EmailTemplateVersion,
    OutboundEmail,
    Suppression,
)
from .services import layout_save, template_save, template_validate

STATUS_COLOURS = {
    "queued": "info",
    "sending": "warning",
    "sent": "success",
    "failed": "danger",
    "suppressed": "danger",
    "skipped": "warning",
    "retry": "warning",
}


def _problems_to_form_errors(form, error: TemplateInvalidError) -> None:
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, f"line {problem.line}, column {problem.column}: {problem.message}")


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["key", "name", "category", "layout", "subject", "preheader", "mjml",
                  "text_body", "variables", "sample_context"]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            candidate = self.instance
            for name, value in cleaned.items():
                setattr(candidate, name, value)
            try:
                template_validate(template=candidate)
            except TemplateInvalidError as error:
                _problems_to_form_errors(self, error)
        return cleaned


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ModelAdmin):
    form = EmailTemplateForm
    list_display = ["key", "name", "category", "active_version", "updated_at"]
    list_filter = [("category", ChoicesDropdownFilter)]
    search_fields = ["key", "name", "subject"]
    readonly_fields = ["active_version", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        template_save(template=obj, author=request.user)


@admin.register(EmailLayout)
class EmailLayoutAdmin(ModelAdmin):
    list_display = ["key", "name", "is_default", "updated_at"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        try:
            versions = layout_save(layout=obj, author=request.user)
        except TemplateInvalidError as error:
            # The transaction rolled back: nothing changed. Say which templates it would break.
            self.message_user(request, f"Layout not saved: {error}", messages.ERROR)
            return
        self.message_user(request, f"Layout saved; {len(versions)} template(s) re-versioned.")


@admin.register(EmailTemplateVersion)
class EmailTemplateVersionAdmin(ModelAdmin):
    list_display = ["template", "number", "category", "author", "created_at"]
    list_filter = [("category", ChoicesDropdownFilter)]
    search_fields = ["template__key", "subject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryAttemptInline(TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "outcome", "error", "started_at", "finished_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ModelAdmin):
    list_display = ["created_at", "template_key", "to", "status_badge", "attempts", "is_test"]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        ("category", ChoicesDropdownFilter),
        "is_test",
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["to", "template_key", "message_id", "dedupe_key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    inlines = [DeliveryAttemptInline]

    @display(description=_("Status"), label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.status

    def has_add_permission(self, request):
        return False


@admin.register(EmailEvent)
class EmailEventAdmin(ModelAdmin):
    list_display = ["received_at", "esp_name", "event_type", "recipient", "email"]
    list_filter = ["esp_name", "event_type"]
    search_fields = ["recipient", "message_id", "event_id"]
    readonly_fields = [f.name for f in EmailEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Suppression)
class SuppressionAdmin(ModelAdmin):
    list_display = ["address", "reason_badge", "created_at", "note"]
    list_filter = [("reason", ChoicesDropdownFilter)]
    search_fields = ["address"]
    readonly_fields = ["source_event", "created_at"]

    @display(description=_("Reason"), label={"bounce": "danger", "complaint": "danger"})
    def reason_badge(self, obj):
        return obj.reason


@admin.register(EmailPreference)
class EmailPreferenceAdmin(ModelAdmin):
    list_display = ["address", "category", "subscribed", "updated_at"]
    list_filter = [("category", ChoicesDropdownFilter), "subscribed"]
    search_fields = ["address"]
