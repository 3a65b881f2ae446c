from decimal import Decimal

import pytest

from apps.billing.exceptions import InvoiceStateError
from apps.billing.models import Invoice, Subscription, UsageRecord
from apps.billing.services import (
    add_month,
    invoice_create,
    invoice_mark_paid,
    subscription_cancel,
    subscription_start,
    usage_record,
)
from tests.factories import make_organization, make_plan

pytestmark = pytest.mark.django_db


def test_paying_an_open_invoice_records_when_and_paying_again_changes_nothing():
    invoice = invoice_create(organization=make_organization(), amount=Decimal("29.00"))
    paid = invoice_mark_paid(invoice=invoice)
    again = invoice_mark_paid(invoice=invoice)
    assert paid.status == Invoice.Status.PAID and paid.paid_at is not None
    assert again.paid_at == paid.paid_at


def test_a_void_invoice_cannot_be_paid():
    invoice = invoice_create(organization=make_organization(), amount=Decimal("29.00"))
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)
    with pytest.raises(InvoiceStateError, match="only open invoices can be paid"):
        invoice_mark_paid(invoice=invoice)


def test_upgrading_replaces_the_live_subscription_and_raises_this_months_limit():
    organization = make_organization(plan=make_plan("free", 10_000))
    usage_record(organization=organization, characters=9_000)
    subscription_start(organization=organization, plan=make_plan("pro", 1_000_000, "29"))
    live = Subscription.objects.exclude(status="canceled").get(organization=organization)
    assert live.plan.code == "pro"
    assert Subscription.objects.filter(organization=organization, status="canceled").count() == 1
    assert UsageRecord.objects.get(organization=organization).characters_limit == 1_000_000


def test_cancelling_at_period_end_keeps_the_subscription_live_until_then():
    organization = make_organization()
    subscription = organization.subscriptions.get()
    subscription = subscription_cancel(subscription=subscription)
    assert subscription.cancel_at_period_end and subscription.status == "active"
    subscription = subscription_cancel(subscription=subscription, at_period_end=False)
    assert subscription.status == "canceled" and subscription.canceled_at


def test_a_month_after_the_31st_january_is_the_last_day_of_february():
    import datetime as dt

    assert add_month(dt.datetime(2026, 1, 31, 12)) == dt.datetime(2026, 2, 28, 12)
    assert add_month(dt.datetime(2026, 12, 15)) == dt.datetime(2027, 1, 15)
