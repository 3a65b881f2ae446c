"""Translations: each language of a template edited beside its live preview, with its own
version history; the template's list says which languages are missing."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from apps.mail.models import EmailTemplateTranslation
from apps.mail.services import default_language

from .. import services
from ..forms import TranslationEditorForm
from ..views import translation_preview_view
from .common import EditorAdmin


@admin.register(EmailTemplateTranslation)
class EmailTemplateTranslationAdmin(EditorAdmin):
    """A template in another language; it shares the template's layout, variables and data,
    so whoever may edit templates may edit their translations."""

    form = TranslationEditorForm
    preview_view = staticmethod(translation_preview_view)
    list_display = [
        "template",
        "language_label",
        "subject",
        "version_label",
        "updated_at",
        "updated_by",
    ]
    list_filter = [("language", ChoicesDropdownFilter)]
    list_select_related = ["template", "active_version", "updated_by"]
    search_fields = ["template__key", "subject"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": [("template", "language"), "subject", "preheader", "mjml", "text_body"]})
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("mail.view_emailtemplate")

    def has_add_permission(self, request):
        return request.user.has_perm("mail.change_emailtemplate")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("mail.change_emailtemplate")

    def has_delete_permission(self, request, obj=None):
        return False  # sent emails keep their versions; edit or leave untranslated

    @display(description=_("Language"), ordering="language")
    def language_label(self, obj):
        return obj.get_language_display()

    @display(description=_("Active version"), ordering="active_version__number")
    def version_label(self, obj):
        return f"v{obj.active_version.number}" if obj.active_version else "—"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        others = [code for code, _name in settings.LANGUAGES if code != default_language()]
        initial.setdefault("language", others[0] if others else "")
        return initial

    def save_model(self, request, obj, form, change):
        version = services.studio_translation_save(actor=request.user, translation=obj)
        messages.info(
            request,
            _("Saved as %(language)s version %(n)s.")
            % {"language": obj.get_language_display(), "n": version.number},
        )

    def render_change_form(self, request, context, *args, **kwargs):
        context.update(reference_language=dict(settings.LANGUAGES).get(default_language(), ""))
        return super().render_change_form(request, context, *args, **kwargs)
