"""Stripe webhook bodies shaped as Stripe's API reference documents them (Event wrapping an
Invoice), signed as Stripe signs them (`Stripe-Signature: t=...,v1=...`)."""

import itertools
import json
import time

import stripe

SECRET = "whsec_test_secret_for_billing_tests"
_ids = itertools.count(1)


def invoice_object(invoice, *, status: str = "paid", **fields) -> dict:
    cents = int(invoice.amount * 100)
    paid = status == "paid"
    now = int(time.time())
    return {
        "id": f"in_1Q{invoice.pk:08d}TestInvoice",
        "object": "invoice",
        "account_country": "US",
        "amount_due": cents,
        "amount_paid": cents if paid else 0,
        "amount_remaining": 0 if paid else cents,
        "attempt_count": 1,
        "attempted": True,
        "billing_reason": "subscription_cycle",
        "collection_method": "charge_automatically",
        "currency": invoice.currency.lower(),
        "customer": "cus_QTestCustomer01",
        "customer_email": invoice.organization.owner.email,
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1Test/test_YWNjdF8x",
        "lines": {"object": "list", "data": [], "has_more": False, "url": "/v1/invoices/x/lines"},
        "livemode": False,
        "metadata": {"invoice_number": invoice.number},
        "next_payment_attempt": None if paid else now + 3 * 86400,
        "number": "F00D-0001",
        "paid": paid,
        "status": status,
        "status_transitions": {
            "finalized_at": now - 60,
            "paid_at": now if paid else None,
            "marked_uncollectible_at": None,
            "voided_at": None,
        },
        "subscription": "sub_1QTestSubscription",
        "total": cents,
        **fields,
    }


def event(kind: str, data_object: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_1QTest{next(_ids):010d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def body(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def signature(raw: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The header Stripe would send with `raw` (a body that is not UTF-8 cannot be signed)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "t=1,v1=00"
    return stripe.WebhookSignature.generate_signature_header(text, secret, timestamp)
