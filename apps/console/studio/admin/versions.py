"""Template versions: immutable history, compared with each other and restored as a new
version; the template's page lists them in `VersionInline`."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from apps.mail.exceptions import TemplateInvalidError
from apps.mail.models import EmailTemplateVersion
from apps.mail.services import render_for

from ...mixins import ReadOnlyAdminMixin
from ...objects import admin_object_or_404, admin_path
from .. import services
from ..pages import VersionDiffView
from .common import StudioAdmin, dialog_action, hx_redirect_to, sandboxed_iframe


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
    readonly_fields = flatten_fieldsets(fieldsets)  # history is never edited
    actions_row = ["diff"]
    actions_detail = ["diff", "emails", "restore"]

    def get_extra_urls(self):
        compare = VersionDiffView.as_view(model_admin=self)
        name = "mail_emailtemplateversion_compare"
        return [admin_path(self, "<path:object_id>/compare/", compare, name)]

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
