from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from .exceptions import UploadRejectedError
from .models import Document, SummarizationRequest, SummaryArchive
from .services import document_upload, upload_check


@admin.register(SummarizationRequest)
class SummarizationRequestAdmin(ModelAdmin):
    list_display = [
        "id",
        "organization",
        "user",
        "mode_badge",
        "input_characters",
        "status_badge",
        "created_at",
    ]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        ("mode", ChoicesDropdownFilter),
        "organization",
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["organization__name", "user__email"]
    list_select_related = ["organization", "user"]
    readonly_fields = [
        "organization",
        "user",
        "mode",
        "input_characters",
        "output_characters",
        "created_at",
        "completed_at",
        "queued_at",
        "requeues",
        "task_id",
        "started_at",
    ]
    # A queued request's text is the customer's, kept only until the request ends: not shown.
    exclude = ["input_text"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = InfinitePaginator  # no COUNT(*), and no "0 results (Show all)"

    @display(
        description=_("Mode"),
        ordering="mode",
        label={"brief": "info", "detailed": "info", "bullet_points": "info", "executive": "info"},
    )
    def mode_badge(self, obj: SummarizationRequest) -> tuple[str, str]:
        return obj.mode, obj.get_mode_display()

    @display(
        description=_("Status"),
        ordering="status",
        label={"pending": "warning", "running": "info", "completed": "success", "failed": "danger"},
    )
    def status_badge(self, obj: SummarizationRequest) -> tuple[str, str]:
        return obj.status, obj.get_status_display()


class DocumentUploadForm(forms.ModelForm):
    """The console's upload: refusals of the upload service become errors on the file field."""

    class Meta:
        model = Document
        fields = ["owner", "organization", "file"]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            upload_check(uploaded_file=uploaded)
        except UploadRejectedError as error:
            raise forms.ValidationError(str(error), code=error.code) from error
        return uploaded


@admin.register(Document)
class DocumentAdmin(ModelAdmin):
    list_display = [
        "original_name",
        "owner",
        "organization",
        "human_size",
        "content_type",
        "created_at",
    ]
    list_filter = ["content_type", ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["original_name", "owner__email"]
    list_select_related = ["owner", "organization"]
    readonly_fields = ["size", "content_type", "created_at", "original_name"]
    autocomplete_fields = ["owner", "organization"]
    add_form = DocumentUploadForm

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:  # adding: the upload form, its file checked by the upload service
            kwargs["form"] = self.add_form
            kwargs["fields"] = self.add_form.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "file"]  # a stored file is replaced by a new upload only

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # The form kept the file aside: the service writes it under a generated name, with the
        # row, in this request's transaction (and removes it if that transaction rolls back).
        obj.file = None
        document_upload(
            owner=form.cleaned_data["owner"],
            organization=form.cleaned_data.get("organization"),
            uploaded_file=form.cleaned_data["file"],
            document=obj,
        )

    @display(description=_("Size"), ordering="size")
    def human_size(self, obj: Document) -> str:
        return filesizeformat(obj.size)


@admin.register(SummaryArchive)
class SummaryArchiveAdmin(ModelAdmin):
    list_display = ["organization", "week", "part", "rows", "human_size", "download", "created_at"]
    list_filter = [("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["organization__name", "week"]
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in SummaryArchive._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [
            path("<int:pk>/download/", download, name="summaries_summaryarchive_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        archive = get_object_or_404(SummaryArchive, pk=pk)
        if settings.AWS_STORAGE_BUCKET_NAME:  # a short-lived presigned URL
            return HttpResponseRedirect(archive.file.url)
        name = archive.file.name.rsplit("/", 1)[-1]
        return FileResponse(archive.file.open("rb"), as_attachment=True, filename=name)

    @display(description=_("Size"), ordering="size")
    def human_size(self, obj: SummaryArchive) -> str:
        return filesizeformat(obj.size)

    @display(description=_("File"))
    def download(self, obj: SummaryArchive) -> str:
        url = reverse("admin:summaries_summaryarchive_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))
