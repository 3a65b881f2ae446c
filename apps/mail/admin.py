"""The mail app registers only what the console's email studio does not show.

Templates, layouts, versions, the outbox, events and suppressions are administered by the
studio (`apps/console/studio/admin/`), which owns their editors, previews and actions.
"""

from django.contrib import admin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter

from .models import EmailPreference


@admin.register(EmailPreference)
class EmailPreferenceAdmin(ModelAdmin):
    list_display = ["address", "category", "subscribed", "updated_at"]
    list_filter = [("category", ChoicesDropdownFilter), "subscribed"]
    search_fields = ["address"]
