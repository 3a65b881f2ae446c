import functools

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponse
from django.urls import URLPattern, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.decorators import action, display

from .exceptions import BillingError
from .models import Invoice, Plan, StripeEvent, Subscription, UsageRecord
from .services import invoice_mark_paid


def grouped(value: int) -> str:
    """10000000 -> '10,000,000' (thousands separators in the lists)."""
    return number_format(value, force_grouping=True)


STATUS_COLOURS = {
    "active": "success",
    "trialing": "info",
    "past_due": "warning",
    "canceled": "danger",
    "draft": "info",
    "open": "warning",
    "paid": "success",
    "void": "danger",
    "processed": "success",
    "ignored": "warning",
}


@admin.register(Plan)
class PlanAdmin(ModelAdmin):
    list_display = ["name", "code", "characters_display", "price", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]

    @display(description=_("Characters a month"), ordering="monthly_characters")
    def characters_display(self, obj: Plan) -> str:
        return grouped(obj.monthly_characters)


@admin.register(Subscription)
class SubscriptionAdmin(ModelAdmin):
    list_display = [
        "organization",
        "plan",
        "status_badge",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
    ]
    list_filter = [
        ("status", ChoicesDropdownFilter),
        "plan",
        "cancel_at_period_end",
        ("current_period_end", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["organization__name"]
    list_select_related = ["organization", "plan"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_at", "canceled_at", "anchor_day", "renewal_reminded_for"]

    @display(description=_("Status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj: Subscription) -> str:
        return obj.status, obj.get_status_display()


@admin.register(Invoice)
class InvoiceAdmin(ModelAdmin):
    list_display = ["number", "organization", "amount", "currency", "status_badge", "issued_at"]
    list_filter = [("status", ChoicesDropdownFilter), ("issued_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["number", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization", "subscription"]
    readonly_fields = ["number", "paid_at", "period_start", "period_end", "stripe_invoice_id"]
    actions_detail = ["mark_paid"]

    @display(description=_("Status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj: Invoice) -> str:
        return obj.status, obj.get_status_display()

    def get_urls(self):
        # The dialog renders before the action runs: an id that names no invoice is a 404
        # there too, as in Django's own views (never a dialog for nothing).
        return [
            URLPattern(url.pattern, self._known(url.callback), url.default_args, url.name)
            if url.name == "billing_invoice_mark_paid"
            else url
            for url in super().get_urls()
        ]

    def _known(self, view):
        @functools.wraps(view)
        def guarded(request, *args, object_id, **kwargs):
            if self.get_object(request, unquote(object_id)) is None:
                raise Http404("No invoice with this id.")
            return view(request, *args, object_id=object_id, **kwargs)

        return guarded

    @action(
        description=_("Mark paid"),
        url_path="mark-paid",
        permissions=["change"],
        # A dialog: the change happens only on its POST (CSRF-checked), never on a GET.
        dialog={
            "title": _("Mark this invoice paid?"),
            "description": _("Record a payment made outside Stripe; the receipt email is sent."),
            "form_submit_text": _("Mark paid"),
        },
    )
    def mark_paid(self, request, form, object_id):
        invoice = self.get_object(request, object_id)
        if invoice is None:
            raise Http404("No invoice with this id.")
        try:
            invoice_mark_paid(invoice=invoice)
        except BillingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("Invoice %s is paid.") % invoice.number)
        url = reverse("admin:billing_invoice_change", args=[object_id])
        return HttpResponse(headers={"HX-Redirect": url})


@admin.register(UsageRecord)
class UsageRecordAdmin(ModelAdmin):
    list_display = [
        "organization",
        "period_start",
        "used_display",
        "limit_display",
        "remaining_display",
        "quota_badge",
        "closed_at",
    ]
    list_filter = [("period_start", RangeDateFilter), "closed_at"]
    list_filter_submit = True
    search_fields = ["organization__name"]
    list_select_related = ["organization"]
    readonly_fields = ["characters_used", "updated_at", "closed_at"]

    @display(description=_("Characters used"), ordering="characters_used")
    def used_display(self, obj: UsageRecord) -> str:
        return grouped(obj.characters_used)

    @display(description=_("Limit"), ordering="characters_limit")
    def limit_display(self, obj: UsageRecord) -> str:
        return grouped(obj.characters_limit)

    @display(description=_("Remaining"))
    def remaining_display(self, obj: UsageRecord) -> str:
        return grouped(obj.remaining)

    @display(description=_("Used"), label={"ok": "success", "≥ 80 %": "warning", "full": "danger"})
    def quota_badge(self, obj: UsageRecord) -> tuple[str, str]:
        percent = obj.percent_used
        key = "full" if percent >= 100 else "≥ 80 %" if percent >= 80 else "ok"
        return key, f"{percent} %"


@admin.register(StripeEvent)
class StripeEventAdmin(ModelAdmin):
    """The payment webhooks received: what each did, or why it was ignored. Read-only."""

    list_display = ["received_at", "type", "event_id", "invoice", "outcome_badge", "detail"]
    list_filter = [("outcome", ChoicesDropdownFilter), "type", ("received_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=event_id", "=invoice__number"]
    list_select_related = ["invoice"]

    @display(description=_("Outcome"), ordering="outcome", label=STATUS_COLOURS)
    def outcome_badge(self, obj: StripeEvent) -> tuple[str, str]:
        return obj.outcome, obj.get_outcome_display()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
