"""Invoices: issued at renewal (or by staff), paid once, receipted once."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Organization

from ..exceptions import InvoiceStateError
from ..models import Invoice, Subscription
from .notify import day, money, owner_email


def invoice_create(
    *,
    organization: Organization,
    amount: Decimal,
    currency: str = "USD",
    subscription: Subscription | None = None,
    issued_at: dt.datetime | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
) -> Invoice:
    """Issue an open invoice with a fresh number (for a subscription's period, if given)."""
    issued_at = issued_at or timezone.now()
    period_start, period_end = period or (None, None)
    return Invoice.objects.create(
        organization=organization,
        subscription=subscription,
        number=f"INV-{issued_at:%Y%m}-{secrets.token_hex(4).upper()}",
        amount=amount,
        currency=currency,
        status=Invoice.Status.OPEN,
        issued_at=issued_at,
        due_at=issued_at + dt.timedelta(days=14),
        period_start=period_start,
        period_end=period_end,
    )


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, paid_at: dt.datetime | None = None) -> Invoice:
    """Record payment of an open invoice and send the receipt; paying again changes nothing.

    A past-due subscription whose invoice this was becomes active again.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == Invoice.Status.PAID:
        return invoice
    if invoice.status != Invoice.Status.OPEN:
        raise InvoiceStateError(
            f"Invoice {invoice.number} is {invoice.get_status_display().lower()}; "
            "only open invoices can be paid."
        )
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = paid_at or timezone.now()
    invoice.save(update_fields=["status", "paid_at"])
    if invoice.subscription_id:
        Subscription.objects.filter(
            pk=invoice.subscription_id, status=Subscription.Status.PAST_DUE
        ).update(status=Subscription.Status.ACTIVE)
    owner_email(
        organization=invoice.organization,
        template_key="invoice",
        dedupe_key=f"invoice_paid:{invoice.pk}",
        invoice_number=invoice.number,
        amount=money(invoice.amount, invoice.currency),
        issued_on=day(invoice.issued_at),
        paid_on=day(invoice.paid_at),
    )
    return invoice
