"""Templates, layouts and versions: code editors with a live sandboxed preview, history,
diff and restore, test sends."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.paginator import InfinitePaginator

from apps.mail.exceptions import ContextError, TemplateInvalidError, TemplateNotFoundError
from apps.mail.models import (
    EmailLayout,
    EmailTemplate,
    EmailTemplateVersion,
)
from apps.mail.services import render_for, translations_missing

from ...mixins import ReadOnlyAdminMixin
from ...objects import admin_object_or_404
from .. import services
from ..forms import (
    LayoutEditorForm,
    TemplateEditorForm,
    TestSendForm,
    templates_in,
)
from ..pages import DeliveryView, VersionDiffView
from ..views import layout_preview_view, spam_status_view, template_preview_view
from .common import (
    CATEGORY_COLOURS,
    EditorAdmin,
    StudioAdmin,
    dialog_action,
    hx_redirect_to,
    sandboxed_iframe,
)


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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template", "author")

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
        diff = reverse("admin:mail_emailtemplateversion_compare", args=[version.pk])
        view = reverse("admin:mail_emailtemplateversion_change", args=[version.pk])
        return format_html(
            '<a class="studio-link" href="{}">{}</a> · <a class="studio-link" href="{}">{}</a>',
            diff,
            _("Diff with previous"),
            view,
            _("Open"),
        )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(EditorAdmin):
    """The template editor with live preview, checks, test sends and version history."""

    form = TemplateEditorForm
    preview_view = staticmethod(template_preview_view)
    list_display = [
        "key",
        "name",
        "category_badge",
        "version_label",
        "translations_label",
        "updated_at",
        "updated_by",
    ]
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
    actions_detail = ["test_send", "translations", "delivery", "outbox"]
    actions_list = ["delivery_list"]

    def get_extra_urls(self):
        return [
            *super().get_extra_urls(),  # the preview's
            path(
                "delivery/",
                self.admin_site.admin_view(DeliveryView.as_view(model_admin=self)),
                name="console_studio_delivery",
            ),
            path(
                "qa/spam/<str:digest>/",
                self.admin_site.admin_view(spam_status_view),
                {"model_admin": self},
                name="mail_emailtemplate_spam",
            ),
        ]

    def has_send_test_permission(self, request, obj=None):
        return request.user.has_perm("console.send_test_email")

    @display(description=_("Category"), label=CATEGORY_COLOURS)
    def category_badge(self, obj):
        return obj.category

    @display(description=_("Active version"), ordering="active_version__number")
    def version_label(self, obj):
        return f"v{obj.active_version.number}" if obj.active_version else "—"

    @display(description=_("Translations"))
    def translations_label(self, obj):
        missing = translations_missing(template=obj)
        if not missing:
            return _("complete")
        return _("missing: %(languages)s") % {"languages": ", ".join(missing)}

    @action(description=_("Translations"), icon="translate")
    def translations(self, request, object_id):
        template = admin_object_or_404(self, request, object_id)
        missing = translations_missing(template=template)
        if missing:  # straight to the first missing one, template and language chosen
            url = reverse("admin:mail_emailtemplatetranslation_add")
            return HttpResponseRedirect(f"{url}?template={template.pk}&language={missing[0]}")
        url = reverse("admin:mail_emailtemplatetranslation_changelist")
        return HttpResponseRedirect(f"{url}?template__id__exact={template.pk}")

    def has_delete_permission(self, request, obj=None):
        # Emails in the outbox keep their versions (PROTECT) and senders refer to the key:
        # a template is edited or restored, never deleted from the console.
        return False

    def save_model(self, request, obj, form, change):
        version = services.studio_template_save(actor=request.user, template=obj)
        messages.info(request, _("Saved as version %(n)s.") % {"n": version.number})

    @dialog_action(
        description=_("Send test"),
        icon="send",
        permission="send_test",
        variant=ActionVariant.PRIMARY,
        title=_("Send a test email"),
        explanation=_(
            "Sends the saved, active version through the configured provider; it is "
            "logged in the outbox as a test."
        ),
        form_class=TestSendForm,
    )
    def test_send(self, request, form, object_id):
        template = admin_object_or_404(self, request, object_id)
        try:
            email = services.studio_test_send(
                actor=request.user,
                template=template,
                to=form.cleaned_data["to"],
                context=form.cleaned_data["context"],
                language=form.cleaned_data["language"],
            )
        except (services.SendRefusedError, TemplateNotFoundError, ContextError) as error:
            messages.error(request, str(error))
            return hx_redirect_to(template)
        messages.success(
            request,
            _("Test email queued to %(to)s; the outbox shows it as %(status)s.")
            % {"to": email.to, "status": email.get_status_display().lower()},
        )
        return hx_redirect_to(template)

    @action(description=_("Delivery"), icon="monitoring")
    def delivery(self, request, object_id):
        template = admin_object_or_404(self, request, object_id)
        url = reverse("admin:console_studio_delivery")
        return HttpResponseRedirect(f"{url}?template={template.key}")

    @action(description=_("Send log"), icon="outbox")
    def outbox(self, request, object_id):
        template = admin_object_or_404(self, request, object_id)
        url = reverse("admin:mail_outboundemail_changelist")
        return HttpResponseRedirect(f"{url}?template_key={template.key}")

    @action(description=_("Delivery by template"), icon="monitoring")
    def delivery_list(self, request):
        return HttpResponseRedirect(reverse("admin:console_studio_delivery"))


@admin.register(EmailLayout)
class EmailLayoutAdmin(EditorAdmin):
    """The shared frame; saving re-versions every template placed in it, or nothing."""

    form = LayoutEditorForm
    preview_view = staticmethod(layout_preview_view)
    list_display = ["key", "name", "is_default", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [(None, {"fields": [("key", "name"), "is_default", "mjml"]})]

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj")
        context.update(preview_templates=[t.key for t in templates_in(obj)] if obj else [])
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
class EmailTemplateVersionAdmin(ReadOnlyAdminMixin, StudioAdmin):
    """Immutable history; compare two versions, restore one as a new version."""

    list_display = ["template", "version_label", "subject", "author", "created_at"]
    list_filter = [("category", ChoicesDropdownFilter)]
    list_select_related = ["template", "author"]
    search_fields = ["template__key", "subject"]
    show_full_result_count = False
    paginator = InfinitePaginator  # no COUNT(*), and no "0 results (Show all)"
    fieldsets = [
        (
            None,
            {"fields": [("template", "number"), ("author", "created_at"), "subject", "preheader"]},
        ),
        (_("Rendered with its sample data"), {"fields": ["rendered"], "classes": ["tab"]}),
        (_("MJML"), {"fields": ["mjml_source"], "classes": ["tab"]}),
        (_("Plain text"), {"fields": ["text_source"], "classes": ["tab"]}),
    ]
    readonly_fields = [
        "template",
        "number",
        "author",
        "created_at",
        "subject",
        "preheader",
        "rendered",
        "mjml_source",
        "text_source",
    ]
    actions_row = ["diff"]
    actions_detail = ["diff", "emails", "restore"]

    def get_extra_urls(self):
        return [
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(VersionDiffView.as_view(model_admin=self)),
                name="mail_emailtemplateversion_compare",
            ),
        ]

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
        url = reverse("admin:mail_emailtemplateversion_compare", args=[object_id])
        query = request.GET.urlencode()  # "against" (the other version) goes along
        return HttpResponseRedirect(f"{url}?{query}" if query else url)

    @action(description=_("Emails sent with it"), icon="outbox")
    def emails(self, request, object_id):
        url = reverse("admin:mail_outboundemail_changelist")
        version = admin_object_or_404(self, request, object_id)
        return HttpResponseRedirect(f"{url}?version__id__exact={version.pk}")

    @dialog_action(
        description=_("Restore as new version"),
        icon="restore",
        permission="restore",
        title=_("Restore this version?"),
        explanation=_(
            "Its subject, preheader, MJML and data become a new active version; the "
            "history is kept. The template's current layout is used."
        ),
        submit=_("Restore"),
    )
    def restore(self, request, form, object_id):
        version = admin_object_or_404(self, request, object_id)
        try:
            restored = services.studio_version_restore(actor=request.user, version=version)
        except TemplateInvalidError as error:
            messages.error(request, _("Not restored: %(e)s") % {"e": error})
            return hx_redirect_to(version)
        messages.success(
            request,
            _("Version %(old)s restored as version %(new)s.")
            % {"old": version.number, "new": restored.number},
        )
        return hx_redirect_to(version.template)
