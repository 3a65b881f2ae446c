"""Stripe payment events (verified and parsed to plain data): `invoice.paid` and
`invoice.payment_failed`, each applied once per event id, in one transaction with its record.

Stripe retries any non-2xx answer for days, so an event we recognise but cannot use (an
invoice we never issued, an amount that does not match, a void invoice) is recorded as
`ignored` with the reason and answered 200: a retry could not change the answer, and the
console shows it. Only a malformed event (which Stripe never sends) is a 400.
"""

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import InvoiceStateError, WebhookError
from ..models import Invoice, StripeEvent, Subscription
from .invoices import invoice_mark_paid
from .notify import day, money, owner_email

logger = logging.getLogger(__name__)
Outcome = StripeEvent.Outcome
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,200}")
STRIPE_INVOICE_ID = re.compile(r"in_[A-Za-z0-9_]{1,200}")
INVOICE_NUMBER = re.compile(r"[A-Za-z0-9-]{1,30}")
# Unix seconds Stripe could plausibly send (2000 .. 2100): anything else is not a time.
TIMESTAMPS = range(946_684_800, 4_102_444_800)


def stripe_event_apply(*, event: dict) -> StripeEvent | None:
    """Apply a payment event once. None for types we do not handle (answered 200 all the same).

    A replay (same event id) returns the first record, marked `replayed`, and changes nothing.
    """
    event_id = _text(event.get("id"), EVENT_ID, "The event id")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in HANDLERS:
        return None
    data = event.get("data")
    invoice_data = data.get("object") if isinstance(data, dict) else None
    if not isinstance(invoice_data, dict):
        raise WebhookError("An invoice event carries the invoice as an object in data.object.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event_id,
                    type=kind,
                    outcome=Outcome.IGNORED,
                    created=_moment(event.get("created")),
                )
        except IntegrityError:
            record = StripeEvent.objects.get(event_id=event_id)
            record.replayed = True
            return record
        record.invoice = _invoice_for(invoice_data)
        if record.invoice is None:
            record.detail = "no invoice with this number or Stripe id"
        else:
            record.outcome, record.detail = HANDLERS[kind](record.invoice, invoice_data)
        record.save(update_fields=["invoice", "outcome", "detail"])
    logger.info("stripe %s %s: %s %s", kind, event_id, record.outcome, record.detail)
    record.replayed = False
    return record


def _text(value, pattern: re.Pattern, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise WebhookError(f"{what} is missing or not in Stripe's format.")
    return value


def _moment(value) -> dt.datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value in TIMESTAMPS:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return None


def _invoice_for(data: dict) -> Invoice | None:
    """Our invoice: by the Stripe id seen before, else by the number in the metadata."""
    stripe_id = data.get("id")
    stripe_id = (
        stripe_id if isinstance(stripe_id, str) and STRIPE_INVOICE_ID.fullmatch(stripe_id) else None
    )
    if stripe_id and (invoice := Invoice.objects.filter(stripe_invoice_id=stripe_id).first()):
        return invoice
    metadata = data.get("metadata")
    number = metadata.get("invoice_number") if isinstance(metadata, dict) else None
    if not (isinstance(number, str) and INVOICE_NUMBER.fullmatch(number)):
        return None
    invoice = Invoice.objects.filter(number=number).first()
    if invoice and stripe_id and invoice.stripe_invoice_id is None:
        invoice.stripe_invoice_id = stripe_id
        invoice.save(update_fields=["stripe_invoice_id"])
    return invoice


def _cents(invoice: Invoice) -> int:
    # Two-decimal currencies only (our plans are priced in USD/EUR); Stripe counts in cents.
    return int(invoice.amount * 100)


def _paid(invoice: Invoice, data: dict) -> tuple[str, str]:
    if invoice.status == Invoice.Status.PAID:
        return Outcome.IGNORED, "already paid"
    amount, currency = data.get("amount_paid"), data.get("currency")
    if (
        amount != _cents(invoice)
        or not isinstance(currency, str)
        or (currency.upper() != invoice.currency)
    ):
        return (
            Outcome.IGNORED,
            f"paid amount does not match {money(invoice.amount, invoice.currency)}",
        )
    transitions = data.get("status_transitions")
    paid_at = _moment(transitions.get("paid_at")) if isinstance(transitions, dict) else None
    try:
        invoice_mark_paid(invoice=invoice, paid_at=paid_at or timezone.now())
    except InvoiceStateError as error:
        return Outcome.IGNORED, str(error)[:255]
    return Outcome.PROCESSED, "marked paid"


def _payment_failed(invoice: Invoice, data: dict) -> tuple[str, str]:
    if invoice.status != Invoice.Status.OPEN:
        return Outcome.IGNORED, f"invoice is {invoice.status}: a late failure changes nothing"
    subscription = invoice.subscription
    if subscription and subscription.status in (
        Subscription.Status.ACTIVE,
        Subscription.Status.TRIALING,
    ):
        subscription.status = Subscription.Status.PAST_DUE
        subscription.save(update_fields=["status"])
    attempt = data.get("attempt_count")
    attempt = attempt if isinstance(attempt, int) and 0 < attempt < 1000 else 1
    next_attempt = _moment(data.get("next_payment_attempt"))
    owner_email(
        organization=invoice.organization,
        template_key="payment_failed",
        dedupe_key=f"payment_failed:{invoice.pk}:{attempt}",
        plan_name=subscription.plan.name if subscription else "current",
        invoice_number=invoice.number,
        amount=money(invoice.amount, invoice.currency),
        next_attempt=day(next_attempt) if next_attempt else "",
        pay_url=_https_url(data.get("hosted_invoice_url")) or settings.UPGRADE_URL,
    )
    return Outcome.PROCESSED, f"payment failed (attempt {attempt}); subscription past due"


def _https_url(value) -> str | None:
    if not isinstance(value, str) or not value.startswith("https://") or len(value) > 500:
        return None
    try:
        URLValidator(schemes=["https"])(value)
    except ValidationError:
        return None
    return value


HANDLERS = {"invoice.paid": _paid, "invoice.payment_failed": _payment_failed}
