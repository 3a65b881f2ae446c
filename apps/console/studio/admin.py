"""The email studio in the console: these admins replace the mail app's basic ones.

Templates and layouts get a code editor and a live, sandboxed preview; versions a diff and a
restore; the outbox filters that stay fast at a million rows, the rendered email, a timeline of
its events and resend/retry. Every changing action checks its permission on the server.
"""

import json
from functools import lru_cache

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    DropdownFilter,
    RangeDateTimeFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.paginator import InfinitePaginator
from unfold.utils import display_for_label

from apps.mail.exceptions import TemplateInvalidError, TemplateNotFoundError
from apps.mail.models import (
    EmailEvent,
    EmailLayout,
    EmailTemplate,
    EmailTemplateVersion,
    OutboundEmail,
    Suppression,
)
from apps.mail.services import render_for

from . import services
from .forms import (
    LayoutEditorForm,
    SuppressionForm,
    TemplateEditorForm,
    TestSendForm,
    templates_in,
)
from .preview import light, sandboxed
from .views import DeliveryView, VersionDiffView, layout_preview_view, template_preview_view

for model in (EmailTemplate, EmailLayout, EmailTemplateVersion, OutboundEmail, EmailEvent,
              Suppression):  # fmt: skip
    if admin.site.is_registered(model):
        admin.site.unregister(model)

STATUS_COLOURS = {
    "queued": "info",
    "sending": "warning",
    "sent": "success",
    "failed": "danger",
    "suppressed": "danger",
    "skipped": "warning",
}
CATEGORY_COLOURS = {"transactional": "info", "alerts": "warning", "reports": "success"}
REASON_COLOURS = {"bounce": "danger", "complaint": "danger", "unsubscribe": "warning"}
EVENT_TYPES = ["delivered", "opened", "clicked", "bounced", "deferred", "rejected", "failed",
               "complained", "unsubscribed", "queued", "sent", "unknown"]  # fmt: skip
EVENT_COLOURS = {
    "delivered": "success",
    "opened": "info",
    "clicked": "info",
    "bounced": "danger",
    "rejected": "danger",
    "complained": "danger",
    "unsubscribed": "warning",
    "deferred": "warning",
}


def _hx_redirect(url: str) -> HttpResponse:
    """Where a dialog action goes once done (unfold's dialogs post through htmx)."""
    return HttpResponse(headers={"HX-Redirect": url})


def sandboxed_iframe(html: str, *, height: int = 640, title: str = "Email") -> str:
    """The email in an iframe that can run nothing and reach nothing (see preview.py)."""
    return format_html(
        '<iframe sandbox="" class="studio-frame" referrerpolicy="no-referrer" title="{}" '
        'style="height:{}px" srcdoc="{}"></iframe>',
        title,
        height,
        sandboxed(light(html)),
    )


class StudioAdmin(ModelAdmin):
    """unfold's ModelAdmin with the studio's stylesheet (timeline, diff, preview frames)."""

    class Media:
        css = {"all": ["console/studio.css"]}


# --- templates -------------------------------------------------------------------------------


class VersionInline(TabularInline):
    model = EmailTemplateVersion
    fk_name = "template"
    extra = 0
    can_delete = False
    per_page = 10
    tab = True
    verbose_name_plural = _("Versions")
    fields = ["number_label", "subject", "author", "created_at", "links"]
    readonly_fields = fields
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(description=_("Version"))
    def number_label(self, version):
        active = version.template.active_version_id == version.pk
        return format_html(
            "<strong>v{}</strong>{}",
            version.number,
            format_html(' <span class="studio-pill">{}</span>', _("active")) if active else "",
        )

    @display(description="")
    def links(self, version):
        diff = reverse("admin:mail_emailtemplateversion_diff", args=[version.pk])
        view = reverse("admin:mail_emailtemplateversion_change", args=[version.pk])
        return format_html(
            '<a class="studio-link" href="{}">{}</a> · <a class="studio-link" href="{}">{}</a>',
            diff,
            _("Diff with previous"),
            view,
            _("Open"),
        )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(StudioAdmin):
    """The template editor with live preview, checks, test sends and version history."""

    form = TemplateEditorForm
    change_form_template = "console/studio/template_change_form.html"
    list_display = ["key", "name", "category_badge", "version_label", "updated_at", "updated_by"]
    list_filter = [("category", ChoicesDropdownFilter)]
    list_select_related = ["active_version", "updated_by"]
    search_fields = ["key", "name", "subject"]
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [VersionInline]
    warn_unsaved_form = True
    fieldsets = [
        (None, {"fields": ["subject", "preheader", "mjml"]}),
        (_("Data"), {"fields": ["variables", "sample_context"]}),
        (
            _("Settings"),
            {"fields": [("key", "name"), ("category", "layout"), "text_body"]},
        ),
    ]
    actions_detail = ["test_send", "delivery", "outbox"]
    actions_list = ["delivery_list"]

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(template_preview_view),
                {"model_admin": self},
                name="mail_emailtemplate_preview",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(template_preview_view),
                {"model_admin": self},
                name="mail_emailtemplate_preview_object",
            ),
            path(
                "delivery/",
                self.admin_site.admin_view(DeliveryView.as_view(model_admin=self)),
                name="console_studio_delivery",
            ),
            *super().get_urls(),
        ]

    def has_send_test_permission(self, request, obj=None):
        return request.user.has_perm("console.send_test_email")

    @display(description=_("Category"), label=CATEGORY_COLOURS)
    def category_badge(self, obj):
        return obj.category

    @display(description=_("Active version"), ordering="active_version__number")
    def version_label(self, obj):
        return f"v{obj.active_version.number}" if obj.active_version else "—"

    def has_delete_permission(self, request, obj=None):
        # Emails in the outbox keep their versions (PROTECT) and senders refer to the key:
        # a template is edited or restored, never deleted from the console.
        return False

    def save_model(self, request, obj, form, change):
        version = services.studio_template_save(actor=request.user, template=obj)
        messages.info(request, _("Saved as version %(n)s.") % {"n": version.number})

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj")
        preview_url = (
            reverse("admin:mail_emailtemplate_preview_object", args=[obj.pk])
            if obj
            else reverse("admin:mail_emailtemplate_preview")
        )
        context.update(
            preview_url=preview_url,
            can_test_send=request.user.has_perm("console.send_test_email"),
        )
        return super().render_change_form(request, context, *args, **kwargs)

    @action(
        description=_("Send test"),
        icon="send",
        permissions=["send_test"],
        variant=ActionVariant.PRIMARY,
        dialog={
            "title": _("Send a test email"),
            "description": _(
                "Sends the saved, active version through the configured provider; it is "
                "logged in the outbox as a test."
            ),
            "form_class": TestSendForm,
            "form_submit_text": _("Send test"),
        },
    )
    def test_send(self, request, form, object_id):
        template = get_object_or_404(EmailTemplate, pk=object_id)
        back = reverse("admin:mail_emailtemplate_change", args=[template.pk])
        try:
            email = services.studio_test_send(
                actor=request.user,
                template=template,
                to=form.cleaned_data["to"],
                context=form.cleaned_data["context"],
            )
        except (services.SendRefusedError, TemplateNotFoundError) as error:
            messages.error(request, str(error))
            return _hx_redirect(back)
        messages.success(
            request,
            _("Test email queued to %(to)s (outbox #%(id)s, status %(status)s).")
            % {"to": email.to, "id": email.pk, "status": email.status},
        )
        return _hx_redirect(back)

    @action(description=_("Delivery"), icon="monitoring")
    def delivery(self, request, object_id):
        template = get_object_or_404(EmailTemplate, pk=object_id)
        url = reverse("admin:console_studio_delivery")
        return HttpResponseRedirect(f"{url}?template={template.key}")

    @action(description=_("Send log"), icon="outbox")
    def outbox(self, request, object_id):
        template = get_object_or_404(EmailTemplate, pk=object_id)
        url = reverse("admin:mail_outboundemail_changelist")
        return HttpResponseRedirect(f"{url}?template_key={template.key}")

    @action(description=_("Delivery by template"), icon="monitoring")
    def delivery_list(self, request):
        return HttpResponseRedirect(reverse("admin:console_studio_delivery"))


@admin.register(EmailLayout)
class EmailLayoutAdmin(StudioAdmin):
    """The shared frame; saving re-versions every template placed in it, or nothing."""

    form = LayoutEditorForm
    change_form_template = "console/studio/template_change_form.html"
    list_display = ["key", "name", "is_default", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [(None, {"fields": [("key", "name"), "is_default", "mjml"]})]

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(layout_preview_view),
                {"model_admin": self},
                name="mail_emaillayout_preview",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(layout_preview_view),
                {"model_admin": self},
                name="mail_emaillayout_preview_object",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj")
        context.update(
            preview_url=reverse("admin:mail_emaillayout_preview_object", args=[obj.pk])
            if obj
            else reverse("admin:mail_emaillayout_preview"),
            preview_templates=[t.key for t in templates_in(obj)] if obj else [],
        )
        return super().render_change_form(request, context, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            versions = services.studio_layout_save(actor=request.user, layout=obj)
        except TemplateInvalidError as error:  # changed under us since the form checked it
            messages.error(request, _("Layout not saved: %(e)s") % {"e": error})
            return
        messages.info(request, _("%(n)s template(s) re-versioned.") % {"n": len(versions)})


# --- versions --------------------------------------------------------------------------------


@admin.register(EmailTemplateVersion)
class EmailTemplateVersionAdmin(StudioAdmin):
    """Immutable history; compare two versions, restore one as a new version."""

    list_display = ["template", "version_label", "subject", "author", "created_at"]
    list_filter = [("category", ChoicesDropdownFilter)]
    list_select_related = ["template", "author"]
    search_fields = ["template__key", "subject"]
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {"fields": [("template", "number"), ("author", "created_at"), "subject", "preheader"]},
        ),
        (_("Rendered with its sample data"), {"fields": ["rendered"], "classes": ["tab"]}),
        (_("MJML"), {"fields": ["mjml_source"], "classes": ["tab"]}),
        (_("Plain text"), {"fields": ["text_source"], "classes": ["tab"]}),
    ]
    readonly_fields = ["template", "number", "author", "created_at", "subject", "preheader",
                       "rendered", "mjml_source", "text_source"]  # fmt: skip
    actions_row = ["diff"]
    actions_detail = ["diff", "emails", "restore"]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(VersionDiffView.as_view(model_admin=self)),
                name="mail_emailtemplateversion_diff",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_restore_permission(self, request, obj=None):
        return request.user.has_perm("mail.change_emailtemplate")

    @display(description=_("Version"), ordering="number")
    def version_label(self, obj):
        return f"v{obj.number}"

    @display(description=_("Email"))
    def rendered(self, obj):
        try:
            html = render_for(version=obj, address="ada@example.com", context=obj.sample_context)
        except Exception as error:  # an old version may not render with today's engine
            return format_html("<em>{}</em>", error)
        return sandboxed_iframe(html.html, title=f"{obj.template} v{obj.number}")

    @display(description=_("MJML"))
    def mjml_source(self, obj):
        return format_html('<pre class="studio-pre">{}</pre>', obj.mjml)

    @display(description=_("Plain text"))
    def text_source(self, obj):
        return format_html('<pre class="studio-pre">{}</pre>', obj.text_body)

    @action(description=_("Compare"), icon="difference")
    def diff(self, request, object_id):
        return HttpResponseRedirect(
            reverse("admin:mail_emailtemplateversion_diff", args=[object_id])
        )

    @action(description=_("Emails sent with it"), icon="outbox")
    def emails(self, request, object_id):
        url = reverse("admin:mail_outboundemail_changelist")
        return HttpResponseRedirect(f"{url}?version__id__exact={int(object_id)}")

    @action(
        description=_("Restore as new version"),
        icon="restore",
        permissions=["restore"],
        dialog={
            "title": _("Restore this version?"),
            "description": _(
                "Its subject, preheader, MJML and data become a new active version; the "
                "history is kept. The template's current layout is used."
            ),
            "form_submit_text": _("Restore"),
        },
    )
    def restore(self, request, form, object_id):
        version = get_object_or_404(EmailTemplateVersion, pk=object_id)
        try:
            restored = services.studio_version_restore(actor=request.user, version=version)
        except TemplateInvalidError as error:
            messages.error(request, _("Not restored: %(e)s") % {"e": error})
            return _hx_redirect(
                reverse("admin:mail_emailtemplateversion_change", args=[version.pk])
            )
        messages.success(
            request,
            _("Version %(old)s restored as version %(new)s.")
            % {"old": version.number, "new": restored.number},
        )
        return _hx_redirect(reverse("admin:mail_emailtemplate_change", args=[version.template_id]))


# --- the send log ----------------------------------------------------------------------------


class TemplateKeyFilter(DropdownFilter):
    """By template, from the (small) template table rather than a DISTINCT over the outbox."""

    title = _("template")
    parameter_name = "template_key"

    def lookups(self, request, model_admin):
        return [(key, key) for key in EmailTemplate.objects.values_list("key", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(template_key=self.value()) if self.value() else queryset


class TestFilter(DropdownFilter):
    title = _("kind")
    parameter_name = "is_test"

    def lookups(self, request, model_admin):
        return [("0", _("Real")), ("1", _("Test"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_test=self.value() == "1")
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(StudioAdmin):
    """The send log: no COUNT(*) per page, indexed filters and exact-match search."""

    # Few columns and one badge: at 50 rows a page, rendering cells is most of the page's time.
    list_display = ["created_at", "template_label", "to", "status_label"]
    list_display_links = ["created_at"]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        TemplateKeyFilter,
        ("category", ChoicesDropdownFilter),
        TestFilter,
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    list_select_related = ["version"]
    search_fields = ["to", "message_id"]
    search_help_text = _("A recipient address or a provider message id (exact).")
    show_full_result_count = False
    paginator = InfinitePaginator
    list_per_page = 50
    # Newest first along the created_at index, so a date range is an index range, not a scan.
    ordering = ["-created_at", "-id"]
    actions = ["retry_selected", "resend_selected"]
    actions_detail = ["retry", "resend"]
    fieldsets = [
        (
            _("Email"),
            {
                "fields": [
                    ("template_key", "version_link"),
                    ("to", "user"),
                    ("category", "is_test"),
                    "subject",
                    ("status_label", "attempts"),
                    ("provider", "message_id"),
                    "last_error",
                    ("created_at", "sent_at"),
                    "dedupe_key",
                ],
                "classes": ["tab"],
            },
        ),
        (_("Rendered"), {"fields": ["rendered"], "classes": ["tab"]}),
        (_("Timeline"), {"fields": ["timeline"], "classes": ["tab"]}),
        (_("Context"), {"fields": ["context_pretty"], "classes": ["tab"]}),
    ]
    readonly_fields = ["template_key", "version_link", "to", "user", "category", "is_test",
                       "subject", "status_label", "attempts", "provider", "message_id",
                       "last_error", "created_at", "sent_at", "dedupe_key", "rendered",
                       "timeline", "context_pretty"]  # fmt: skip

    def lookup_allowed(self, lookup, value, request=None):
        # "Emails sent with this version", linked from the version's page.
        return lookup == "version__id__exact" or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only, each served by an index: a LIKE '%...%' over a million rows is not.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term and not term.startswith("<"):
            return queryset.filter(to=term.lower()), False
        return queryset.filter(message_id=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request, obj=None):
        return request.user.has_perm("console.operate_tasks")

    # The list renders the same badge and checkbox 50 times a page: each is rendered once per
    # process and reused (same markup as unfold's), which halves the page's rendering time.
    @display(description=_("Status"), ordering="status")
    def status_label(self, obj):
        return _badge(obj.status)

    @display(description=ModelAdmin.action_checkbox.short_description)
    def action_checkbox(self, obj):
        return mark_safe(_checkbox_markup().replace("__pk__", str(int(obj.pk))))

    @display(description=_("Template"), ordering="template_key")
    def template_label(self, obj):
        version = f" v{obj.version.number}" if obj.version_id else ""
        test = _(" (test)") if obj.is_test else ""
        return f"{obj.template_key}{version}{test}"

    @display(description=_("Version"))
    def version_link(self, obj):
        if not obj.version_id:
            return "—"
        url = reverse("admin:mail_emailtemplateversion_change", args=[obj.version_id])
        return format_html('<a class="studio-link" href="{}">v{}</a>', url, obj.version.number)

    @display(description=_("Email as sent"))
    def rendered(self, obj):
        if not obj.version_id:
            return _("Not rendered yet: the email has no version (it was not delivered).")
        html = render_for(version=obj.version, address=obj.to, context=obj.context).html
        return sandboxed_iframe(html, title=obj.subject)

    @display(description=_("Timeline"))
    def timeline(self, obj):
        return render_to_string(
            "console/studio/email_timeline.html", {"items": email_timeline(obj)}
        )

    @display(description=_("Context"))
    def context_pretty(self, obj):
        return format_html(
            '<pre class="studio-pre">{}</pre>',
            json.dumps(obj.context, indent=2, ensure_ascii=False),
        )

    def _email(self, request, object_id):
        if not self.has_operate_permission(request):
            raise PermissionDenied
        return get_object_or_404(OutboundEmail, pk=object_id)

    @action(
        description=_("Retry"),
        icon="replay",
        permissions=["operate"],
        dialog={
            "title": _("Retry this email?"),
            "description": _("A failed email is queued for one more delivery attempt."),
            "form_submit_text": _("Retry"),
        },
    )
    def retry(self, request, form, object_id):
        email = self._email(request, object_id)
        if services.studio_email_retry(actor=request.user, email=email):
            messages.success(request, _("Email queued for another attempt."))
        else:
            messages.warning(request, _("Only failed emails can be retried; this one is %(s)s.")
                             % {"s": email.status})  # fmt: skip
        return _hx_redirect(reverse("admin:mail_outboundemail_change", args=[email.pk]))

    @action(
        description=_("Resend"),
        icon="forward_to_inbox",
        permissions=["operate"],
        dialog={
            "title": _("Send this email again?"),
            "description": _(
                "A copy (same recipient, data and template version) is queued as a new outbox row."
            ),
            "form_submit_text": _("Resend"),
        },
    )
    def resend(self, request, form, object_id):
        email = self._email(request, object_id)
        copy = services.studio_email_resend(actor=request.user, email=email)
        messages.success(request, _("Queued again as outbox #%(id)s.") % {"id": copy.pk})
        return _hx_redirect(reverse("admin:mail_outboundemail_change", args=[copy.pk]))

    @admin.action(description=_("Retry selected failed emails"), permissions=["operate"])
    def retry_selected(self, request, queryset):
        retried = sum(
            services.studio_email_retry(actor=request.user, email=email)
            for email in queryset.filter(status=OutboundEmail.Status.FAILED)[:1000]
        )
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": retried})

    @admin.action(description=_("Resend selected emails"), permissions=["operate"])
    def resend_selected(self, request, queryset):
        copies = [
            services.studio_email_resend(actor=request.user, email=email)
            for email in queryset[:1000]
        ]
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": len(copies)})


@lru_cache(maxsize=32)
def _badge(status: str) -> str:
    return display_for_label(status, "-", STATUS_COLOURS)


@lru_cache(maxsize=1)
def _checkbox_markup() -> str:
    return str(unfold_admin.checkbox.render(helpers.ACTION_CHECKBOX_NAME, "__pk__"))


def email_timeline(email: OutboundEmail) -> list[dict]:
    """Queued, every attempt and every provider event, in time order."""
    items = [_item(email.created_at, _("Queued"), email.dedupe_key or "", "info")]
    for attempt in email.attempt_log.all():
        title = _("Attempt %(n)s: %(o)s") % {
            "n": attempt.number,
            "o": attempt.get_outcome_display(),
        }
        colour = STATUS_COLOURS.get(attempt.outcome, "warning")
        items.append(_item(attempt.finished_at, title, attempt.error, colour))
    for event in email.events.all():
        parts = [event.reject_reason, event.description, event.mta_response, event.click_url]
        items.append(
            _item(
                event.occurred_at or event.received_at,
                event.event_type.title(),
                " ".join(filter(None, parts)),
                EVENT_COLOURS.get(event.event_type, "info"),
            )
        )
    return sorted(items, key=lambda item: item["at"])


def _item(at, title, detail, colour) -> dict:
    return {"at": at, "title": title, "detail": detail, "colour": colour}


class EventTypeFilter(DropdownFilter):
    """anymail's normalized event types (a fixed list: no DISTINCT over the events table)."""

    title = _("event")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in EVENT_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(EmailEvent)
class EmailEventAdmin(StudioAdmin):
    list_display = ["received_at", "event_badge", "recipient", "esp_name", "email_link"]
    list_filter = [EventTypeFilter, ("received_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["recipient", "message_id"]
    show_full_result_count = False
    paginator = InfinitePaginator
    ordering = ["-id"]
    readonly_fields = [f.name for f in EmailEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("Event"), label=EVENT_COLOURS)
    def event_badge(self, obj):
        return obj.event_type

    @display(description=_("Email"))
    def email_link(self, obj):
        if not obj.email_id:
            return "—"
        url = reverse("admin:mail_outboundemail_change", args=[obj.email_id])
        return format_html('<a class="studio-link" href="{}">#{}</a>', url, obj.email_id)


@admin.register(Suppression)
class SuppressionAdmin(StudioAdmin):
    """Addresses never emailed; operators add and remove them by hand (audited)."""

    form = SuppressionForm
    list_display = ["address", "reason_badge", "created_at", "note"]
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
