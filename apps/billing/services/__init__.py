"""The billing app's actions (writes), by concern; import them from here."""

from .invoices import invoice_create, invoice_mark_paid
from .notify import money
from .subscriptions import add_month, add_months, subscription_cancel, subscription_start
from .usage import (
    FREE_PLAN_CODE,
    organization_plan,
    quota_alert_raise,
    usage_charge,
    usage_record,
    usage_record_for_month,
    usage_refusal_alert,
    usage_release,
    usage_reserve,
)

__all__ = [
    "FREE_PLAN_CODE",
    "add_month",
    "add_months",
    "invoice_create",
    "invoice_mark_paid",
    "money",
    "organization_plan",
    "quota_alert_raise",
    "subscription_cancel",
    "subscription_start",
    "usage_charge",
    "usage_record",
    "usage_record_for_month",
    "usage_refusal_alert",
    "usage_release",
    "usage_reserve",
]
