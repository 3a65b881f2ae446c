"""The outbox, or send log: fast at a million rows (no COUNT, indexed filters, exact-match
search), each email as sent with its timeline; its actions (retry, resend and mark sent) are in
`outbox_actions`."""

import json
from functools import lru_cache

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, DropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator
from unfold.utils import display_for_label

from apps.mail.models import EmailEvent, EmailTemplate, OutboundEmail
from apps.mail.services import context_as_stored, email_as_sent

from ...filters import AwareRangeDateTimeFilter
from ...mixins import OperatorMixin
from ...words import provider_name
from .common import (
    PROBLEMS,
    STATUS_COLOURS,
    StudioAdmin,
    sandboxed_iframe,
)
from .outbox_actions import OutboxActions, suppression_of
from .timeline import email_timeline


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
class OutboundEmailAdmin(OutboxActions, OperatorMixin, StudioAdmin):
    """The send log: no COUNT(*) per page, indexed filters and exact-match search."""

    # Few columns and one badge: at 50 rows a page, rendering cells is most of the page's time.
    list_display = ["created_at", "template_label", "to", "status_label"]
    list_display_links = ["created_at"]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        TemplateKeyFilter,
        ("category", ChoicesDropdownFilter),
        TestFilter,
        ("created_at", AwareRangeDateTimeFilter),
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
    list_before_template = "console/live_list_before.html"
    change_list_template = "console/live_change_list.html"  # rows update in place
    actions = ["retry_selected", "resend_selected"]
    # Unknown (interrupted mid-send) emails: "Retry" sends the row again, "Mark sent" settles it.
    actions_detail = ["retry", "resend", "mark_sent"]
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
                    ("provider_name", "message_id"),
                    "problem_display",
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
    readonly_fields = flatten_fieldsets(fieldsets)  # the log is read-only

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

    # The list renders the same badge and checkbox 50 times a page: each is rendered once per
    # process and reused (same markup as unfold's), which halves the page's rendering time.
    def get_queryset(self, request):
        # A sent email that bounced or drew a complaint shows that, not "sent" (one indexed
        # lookup per row of the page).
        problem = EmailEvent.objects.filter(email=OuterRef("pk"), event_type__in=PROBLEMS)
        return (
            super()
            .get_queryset(request)
            .annotate(problem=Subquery(problem.order_by("id").values("event_type")[:1]))
        )

    @display(description=_("Status"), ordering="status")
    def status_label(self, obj):
        problem = getattr(obj, "problem", None)
        return _badge(problem if problem and obj.status == "sent" else obj.status)

    @display(description=_("Provider"))
    def provider_name(self, obj):
        return provider_name(obj.provider)

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
        # Secret values (reset links) and the recipient's signed links are shown as •••.
        return sandboxed_iframe(email_as_sent(email=obj).html, title=obj.subject)

    @display(description=_("Timeline"))
    def timeline(self, obj):
        return render_to_string(
            "console/studio/email_timeline.html", {"items": email_timeline(obj)}
        )

    @display(description=_("Context"))
    def context_pretty(self, obj):
        return format_html(
            '<pre class="studio-pre">{}</pre>',
            json.dumps(context_as_stored(email=obj), indent=2, ensure_ascii=False),
        )

    @display(description=_("What went wrong"))
    def problem_display(self, obj):
        """The reason, on the first tab: the delivery error, a bounce or complaint from the
        provider, or the suppression that stops every send to this address."""
        parts = [obj.last_error] if obj.last_error else []
        event = obj.events.filter(event_type__in=PROBLEMS).order_by("id").first()
        if event is not None:
            why = " ".join(
                filter(None, [event.reject_reason, event.description, event.mta_response])
            ) or _("no reason given")
            parts.append(
                _("%(event)s: %(why)s") % {"event": event.event_type.capitalize(), "why": why}
            )
        suppression = suppression_of(obj.to)
        if suppression is not None:
            url = reverse("admin:mail_suppression_change", args=[suppression.pk])
            parts.append(
                format_html(
                    '{} <a class="studio-link" href="{}">{}</a>',
                    _(
                        "%(to)s is suppressed (%(reason)s): nothing is sent to it until the "
                        "suppression is removed."
                    )
                    % {"to": obj.to, "reason": suppression.get_reason_display()},
                    url,
                    _("See the suppression"),
                )
            )
        if not parts:
            return _("Nothing: no error, bounce or complaint.")
        return format_html_join("", "<div data-testid='problem'>{}</div>", ((p,) for p in parts))


@lru_cache(maxsize=32)
def _badge(status: str) -> str:
    return display_for_label(status, "-", STATUS_COLOURS)


@lru_cache(maxsize=1)
def _checkbox_markup() -> str:
    return str(unfold_admin.checkbox.render(helpers.ACTION_CHECKBOX_NAME, "__pk__"))
