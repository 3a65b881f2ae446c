"""The outbox, or send log: fast at a million rows (no COUNT, indexed filters, exact-match
search), each email as sent with its timeline, and retry, resend and mark sent."""

import json
from functools import lru_cache

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
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

from apps.mail.exceptions import SecretsGoneError
from apps.mail.models import EmailEvent, EmailTemplate, OutboundEmail, Suppression
from apps.mail.services import context_as_stored, email_as_sent

from ...filters import AwareRangeDateTimeFilter
from ...mixins import OperatorMixin
from ...objects import admin_object_or_404
from ...words import provider_name
from .. import services
from .common import (
    PROBLEMS,
    STATUS_COLOURS,
    StudioAdmin,
    dialog_action,
    hx_redirect_to,
    sandboxed_iframe,
)
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
class OutboundEmailAdmin(OperatorMixin, StudioAdmin):
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
    action_limit = 1000  # emails one bulk action takes (the list is never counted)
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

    def _email(self, request, object_id):
        if not self.has_operate_permission(request):
            raise PermissionDenied
        return admin_object_or_404(self, request, object_id)

    # Each action is offered (and allowed by URL) only on the emails where it can work: Retry
    # on a failed or interrupted one, Mark sent on an interrupted one, Resend on any email that
    # is not on its way and whose address is not suppressed (the copy would be suppressed too).
    def has_retry_email_permission(self, request, object_id=None) -> bool:
        return self._may(request, object_id, lambda email: email.status in RETRYABLE_EMAIL)

    def has_mark_sent_email_permission(self, request, object_id=None) -> bool:
        return self._may(request, object_id, lambda email: email.status == Status.UNKNOWN)

    def has_resend_email_permission(self, request, object_id=None) -> bool:
        return self._may(
            request,
            object_id,
            lambda email: (
                email.status not in (Status.QUEUED, Status.SENDING)
                and _suppression(email.to) is None
            ),
        )

    def _may(self, request, object_id, rule) -> bool:
        if not self.has_operate_permission(request):
            return False
        if object_id is None:
            return True
        email = _email_of(self, request, object_id)
        return email is not None and rule(email)

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, "retry_button"] if self.has_operate_permission(request) else shown

    @display(description="")
    def retry_button(self, obj):
        """Retry on the rows where it works, opening the same confirmation as the email page."""
        if obj.status not in RETRYABLE_EMAIL:
            return ""
        url = reverse("admin:mail_outboundemail_retry", args=[obj.pk])
        return format_html(_retry_markup(), url=url)

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
        suppression = _suppression(obj.to)
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

    @dialog_action(
        description=_("Retry"),
        icon="replay",
        permission="retry_email",
        title=_("Retry this email?"),
        explanation=_(
            "A failed email, or one whose delivery was interrupted (unknown: the recipient "
            "may already have it), is queued for one more delivery attempt."
        ),
    )
    def retry(self, request, form, object_id):
        return self._settle(
            request,
            object_id,
            services.studio_email_retry,
            done=_("Email queued for another attempt."),
            refused=_("Only failed or unknown emails can be retried; this one is %(s)s."),
        )

    @dialog_action(
        description=_("Resend"),
        icon="forward_to_inbox",
        permission="resend_email",
        title=_("Send this email again?"),
        explanation=_(
            "A copy (same recipient, data and template version) is queued as a new outbox row."
        ),
    )
    def resend(self, request, form, object_id):
        email = self._email(request, object_id)
        copy = self._try(request, services.studio_email_resend, email)
        if copy is None:
            return hx_redirect_to(email)
        messages.success(request, _("Queued again to %(to)s.") % {"to": copy.to})
        return hx_redirect_to(copy)

    @dialog_action(
        description=_("Mark sent"),
        icon="mark_email_read",
        permission="mark_sent_email",
        title=_("Mark this email sent?"),
        explanation=_(
            "Its delivery was interrupted mid-send. Mark it sent when you know it arrived "
            "(for example the recipient confirmed it); nothing is sent."
        ),
    )
    def mark_sent(self, request, form, object_id):
        return self._settle(
            request,
            object_id,
            services.studio_email_mark_sent,
            done=_("Email marked sent."),
            refused=_("Only unknown emails can be marked sent; this one is %(s)s."),
        )

    def _settle(self, request, object_id, service, *, done, refused):
        """The email's own action (True done, False refused by its status), said in a message;
        then back to the email's page."""
        email = self._email(request, object_id)
        settled = self._try(request, service, email)
        if settled:
            messages.success(request, done)
        elif settled is False:
            messages.warning(request, refused % {"s": email.status})
        return hx_redirect_to(email)

    @staticmethod
    def _try(request, service, email):
        """The service's answer, or None with the reason shown when the email's link is gone."""
        try:
            return service(actor=request.user, email=email)
        except SecretsGoneError as error:
            messages.error(request, str(error))
            return None

    @admin.action(description=_("Retry selected failed or unknown emails"), permissions=["operate"])
    def retry_selected(self, request, queryset):
        retried = sum(
            bool(self._try(request, services.studio_email_retry, email))
            for email in queryset.filter(status__in=["failed", "unknown"])[: self.action_limit]
        )
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": retried})

    @admin.action(description=_("Resend selected emails"), permissions=["operate"])
    def resend_selected(self, request, queryset):
        copies = [
            self._try(request, services.studio_email_resend, email)
            for email in queryset[: self.action_limit]
        ]
        sent = sum(copy is not None for copy in copies)
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": sent})


Status = OutboundEmail.Status
RETRYABLE_EMAIL = (Status.FAILED, Status.UNKNOWN)


def _email_of(model_admin, request, object_id):
    """The email a permission check is about, read once per request."""
    cache = request.__dict__.setdefault("_console_emails", {})
    key = str(object_id)
    if key not in cache:
        cache[key] = model_admin.get_object(request, key)
    return cache[key]


def _suppression(address: str):
    return Suppression.objects.filter(address=address.lower()).first()


# unfold's own row actions open a dialog this way (the page's modal, filled over htmx).
DIALOG_ATTRS = mark_safe(
    'hx-get="__url__" hx-target="#modal-content" hx-select="#dialog" '
    'x-on:htmx:after-on-load="openModal = true"'
)


@lru_cache(maxsize=1)
def _retry_markup() -> str:
    """unfold's small button opening the retry dialog in the page's modal (as unfold's own
    row actions do), rendered once with a URL slot."""
    button = {"href": "__url__", "size": "xs", "variant": "default", "icon": "replay"}
    html = render_to_string(
        "unfold/components/button.html",
        {**button, "children": _("Retry"), "class": "self-center", "extra_attrs": DIALOG_ATTRS},
    )
    return html.replace("{", "{{").replace("}", "}}").replace("__url__", "{url}")


@lru_cache(maxsize=32)
def _badge(status: str) -> str:
    return display_for_label(status, "-", STATUS_COLOURS)


@lru_cache(maxsize=1)
def _checkbox_markup() -> str:
    return str(unfold_admin.checkbox.render(helpers.ACTION_CHECKBOX_NAME, "__pk__"))
