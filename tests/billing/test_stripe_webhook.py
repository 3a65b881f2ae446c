"""Payments arrive as Stripe webhooks at /webhooks/stripe/: verified, applied once, never a 500."""

import http.client
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail

from apps.billing.models import Invoice, StripeEvent, Subscription
from apps.billing.services import invoice_create
from apps.mail.models import OutboundEmail
from tests.billing.stripe_payloads import SECRET, body, event, invoice_object, signature
from tests.factories import make_organization, make_plan

URL = "/webhooks/stripe/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stripe_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def invoice():
    organization = make_organization(plan=make_plan("pro", 1_000_000, "49"))
    subscription = organization.subscriptions.get()
    return invoice_create(
        organization=organization, amount=subscription.plan.price, subscription=subscription
    )


def post(client, raw: bytes, sig: str | None = None, **extra):
    headers = {"HTTP_STRIPE_SIGNATURE": sig} if sig is not None else {}
    return client.post(URL, data=raw, content_type="application/json", **headers, **extra)


def deliver(client, payload: dict, **kwargs):
    raw = body(payload)
    return post(client, raw, signature(raw, **kwargs))


def receipts(invoice) -> int:
    return sum(invoice.number in m.subject for m in mail.outbox)


@pytest.mark.embedded
def test_a_replayed_invoice_paid_marks_it_paid_once_and_sends_one_receipt(
    client, invoice, templates, provider, django_capture_on_commit_callbacks
):
    paid = event("invoice.paid", invoice_object(invoice))
    with django_capture_on_commit_callbacks(execute=True):
        answers = [deliver(client, paid) for _ in range(3)]
        again = deliver(client, event("invoice.paid", invoice_object(invoice)))  # new event id
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["status"] for a in answers] == ["processed", "replayed", "replayed"]
    assert again.json() == {"status": "ignored", "message": "already paid"}
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at is not None
    assert invoice.stripe_invoice_id == paid["data"]["object"]["id"]
    assert receipts(invoice) == 1
    assert "49.00 USD" in mail.outbox[-1].body
    assert StripeEvent.objects.count() == 2


def test_a_forged_signature_is_refused_and_changes_nothing(client, invoice):
    raw = body(event("invoice.paid", invoice_object(invoice)))
    forged = post(client, raw, signature(raw, secret="whsec_not_ours"))
    assert forged.status_code == 400 and "Signature refused" in forged.json()["message"]
    tampered = post(client, raw.replace(b"4900", b"4901"), signature(raw))
    assert tampered.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not StripeEvent.objects.exists()
    assert not OutboundEmail.objects.filter(template_key="invoice").exists()


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,v1=00", "v1=deadbeef", "t=1700000000", "t=1,v1=\x00"],
)
def test_a_missing_or_malformed_signature_header_is_a_400(client, invoice, header):
    assert (
        post(client, body(event("invoice.paid", invoice_object(invoice))), header).status_code
        == 400
    )


def test_a_genuine_event_signed_more_than_five_minutes_ago_is_refused(client, invoice):
    raw = body(event("invoice.paid", invoice_object(invoice)))
    answer = post(client, raw, signature(raw, timestamp=int(time.time()) - 301))
    assert answer.status_code == 400 and "tolerance" in answer.json()["message"]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'"evt"',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"id": "evt_\\u0000"}',
        b'{"id": "evt_1", "type": "invoice.paid", "data": []}',
        b'{"id": "evt_1", "type": ["invoice.paid"], "data": {}}',
    ],
)
def test_a_signed_but_malformed_body_is_a_400_and_stores_nothing(client, raw):
    answer = post(client, raw, signature(raw) if raw else "t=1,v1=x")
    assert answer.status_code in (200, 400), answer.content
    assert not StripeEvent.objects.exists()


def test_an_unknown_invoice_is_answered_200_and_recorded_as_ignored(client, invoice):
    data = invoice_object(invoice, id="in_1QNotOurs", metadata={"invoice_number": "INV-NOPE"})
    answer = deliver(client, event("invoice.paid", data))
    # 200: Stripe retries any other answer for days, and a retry cannot make it ours.
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert StripeEvent.objects.get().detail == "no invoice with this number or Stripe id"


def test_a_paid_amount_that_does_not_match_leaves_the_invoice_open(client, invoice):
    answer = deliver(client, event("invoice.paid", invoice_object(invoice, amount_paid=100)))
    assert answer.json()["status"] == "ignored"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN


def test_event_types_we_do_not_use_are_acknowledged_and_not_stored(client):
    answer = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert answer.status_code == 200 and answer.json()["status"] == "not_handled"
    assert not StripeEvent.objects.exists()


@pytest.mark.embedded
def test_a_failed_payment_makes_the_subscription_past_due_and_emails_the_owner_once(
    client, invoice, templates, provider, django_capture_on_commit_callbacks
):
    failed = event("invoice.payment_failed", invoice_object(invoice, status="open"))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, failed).json()["status"] == "processed"
        assert deliver(client, failed).json()["status"] == "replayed"
    subscription = Subscription.objects.get(pk=invoice.subscription_id)
    assert subscription.status == Subscription.Status.PAST_DUE
    [email] = [m for m in mail.outbox if "did not go through" in m.subject]
    assert email.to == [invoice.organization.owner.email]
    text = " ".join(email.body.split())
    assert "49.00 USD" in text and "Next attempt" in text
    assert "https://invoice.stripe.com/i/acct_1Test/test_YWNjdF8x" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, event("invoice.paid", invoice_object(invoice)))
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE  # paid after all
    assert receipts(invoice) == 2  # the failure notice and the receipt


def test_a_failure_arriving_after_the_payment_changes_nothing(client, invoice):
    deliver(client, event("invoice.paid", invoice_object(invoice)))
    late = deliver(client, event("invoice.payment_failed", invoice_object(invoice, status="open")))
    assert late.json()["status"] == "ignored"
    assert Subscription.objects.get(pk=invoice.subscription_id).status == "active"
    assert not OutboundEmail.objects.filter(template_key="payment_failed").exists()


def test_without_a_configured_secret_nothing_is_trusted(client, invoice, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert deliver(client, event("invoice.paid", invoice_object(invoice))).status_code == 503
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405


def test_staff_can_still_mark_an_invoice_paid_and_only_by_a_post(admin_client, invoice):
    url = f"/admin/billing/invoice/{invoice.pk}/mark-paid/"
    asked = admin_client.get(url)  # the confirmation dialog: nothing changes on a GET
    assert asked.status_code == 200 and "Mark this invoice paid?" in asked.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN
    answer = admin_client.post(url, {"_form_submitted": "on"})
    assert answer.status_code == 200 and answer.headers["HX-Redirect"].endswith("/change/")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


@pytest.mark.django_db(transaction=True)
def test_on_the_wire_a_huge_body_is_refused_413_before_it_is_read(live_server, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    host = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.putrequest("POST", URL)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(50 * 2**20))  # 50 MiB announced, none sent
    connection.putheader("Stripe-Signature", "t=1,v1=00")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()
    raw = b'{"id": "evt_1", "type": "invoice.paid"}'
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request(
        "POST", URL, body=raw, headers={"Stripe-Signature": signature(raw, secret="x")}
    )
    assert connection.getresponse().status == 400
