"""Templates and layouts: code editors with a live sandboxed preview, test sends; their
versions (history, diff and restore) are in `versions`."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.mail.exceptions import ContextError, TemplateInvalidError, TemplateNotFoundError
from apps.mail.models import (
    EmailLayout,
    EmailTemplate,
)
from apps.mail.services import translations_missing

from ...objects import admin_object_or_404, admin_path
from .. import services
from ..forms import (
    LayoutEditorForm,
    TemplateEditorForm,
    TestSendForm,
    templates_in,
)
from ..pages import DeliveryView
from ..views import layout_preview_view, spam_status_view, template_preview_view
from .common import (
    CATEGORY_COLOURS,
    EditorAdmin,
    dialog_action,
    hx_redirect_to,
)
from .versions import VersionInline


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
            admin_path(
                self, "delivery/", DeliveryView.as_view(model_admin=self), "console_studio_delivery"
            ),
            admin_path(
                self,
                "qa/spam/<str:digest>/",
                spam_status_view,
                "mail_emailtemplate_spam",
                model_admin=self,
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
