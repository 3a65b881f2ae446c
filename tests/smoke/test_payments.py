"""Stripe's payment webhooks on the deployment, signed as Stripe signs them: a payment marks the
invoice paid and the receipt reaches the owner's inbox through the consumer; a replay changes
nothing; a failed payment makes the subscription past due and tells the owner; forged or old
signatures are refused and store nothing.
"""

import json
import time
from types import SimpleNamespace

import pytest

from tests.billing.stripe_payloads import event, invoice_object, signature

pytestmark = pytest.mark.xdist_group("smoke")
OWNER = "payer@smoke.example"
# Set-up only (an operator's shell on the deployment): a paying customer and two open invoices;
# everything after goes over HTTP.
SETUP = f"""
import json
from apps.accounts.models import User
from apps.accounts.services import organization_create
from apps.billing.models import Plan
from apps.billing.services import invoice_create, subscription_start
owner = User.objects.create_user(email="{OWNER}", password=None)
organization = organization_create(name="Payer Inc", owner=owner)
subscription = subscription_start(organization=organization, plan=Plan.objects.get(code="pro"))
invoices = [invoice_create(organization=organization, amount=subscription.plan.price,
                           subscription=subscription) for _ in range(2)]
print(json.dumps([[i.pk, str(i.amount), i.currency, i.number] for i in invoices]))
"""


@pytest.fixture(scope="module")
def invoices(deployment) -> list[SimpleNamespace]:
    rows = json.loads(deployment.manage("shell", "-c", SETUP).strip().splitlines()[-1])
    owner = SimpleNamespace(email=OWNER)
    return [
        SimpleNamespace(
            pk=pk,
            amount=float(amount),
            currency=currency,
            number=number,
            organization=SimpleNamespace(owner=owner),
        )
        for pk, amount, currency, number in rows
    ]


def deliver(deployment, payload: dict, *, header: str | None = None, timestamp=None):
    raw = json.dumps(payload).encode()
    sent = header or signature(raw, timestamp=timestamp)
    return deployment.machine().post(
        "/webhooks/stripe/",
        data=raw,
        headers={"Stripe-Signature": sent, "Content-Type": "application/json"},
    )


def test_a_signed_payment_marks_the_invoice_paid_once_and_the_receipt_is_delivered(
    deployment, invoices
):
    invoice = invoices[0]
    paid = event("invoice.paid", invoice_object(invoice, status="paid"))
    first = deliver(deployment, paid)
    assert first.status_code == 200 and first.json()["status"] == "processed", first.text
    replay = deliver(deployment, paid)
    assert replay.status_code == 200 and replay.json()["status"] == "replayed", replay.text
    status = deployment.value("SELECT status FROM billing_invoice WHERE id = %s", invoice.pk)
    assert status == "paid"
    receipt = deployment.sink.wait_for(OWNER, f"Receipt for invoice {invoice.number}")
    assert b"Payment received" in receipt.raw or "Payment received" in receipt.message.as_string()
    outbox = deployment.value(
        "SELECT count(*) FROM mail_outboundemail WHERE dedupe_key = %s",
        f"invoice_paid:{invoice.pk}",
    )
    assert outbox == 1  # the replay sent nothing
    outcome = deployment.value(
        "SELECT outcome FROM billing_stripeevent WHERE event_id = %s", paid["id"]
    )
    assert outcome == "processed"


def test_a_failed_payment_makes_the_subscription_past_due_and_tells_the_owner(deployment, invoices):
    invoice = invoices[1]
    failed = event("invoice.payment_failed", invoice_object(invoice, status="open"))
    answer = deliver(deployment, failed)
    assert answer.status_code == 200 and answer.json()["status"] == "processed", answer.text
    status = deployment.value(
        "SELECT s.status FROM billing_subscription s JOIN billing_invoice i "
        "ON i.subscription_id = s.id WHERE i.id = %s",
        invoice.pk,
    )
    assert status == "past_due"
    deployment.sink.wait_for(OWNER, f"Payment for invoice {invoice.number} did not go through")


def test_forged_and_old_signatures_are_refused_and_store_nothing(deployment, invoices):
    payload = event("invoice.paid", invoice_object(invoices[1], status="paid"))
    raw = json.dumps(payload).encode()
    forged = signature(raw, secret="whsec_not_the_endpoint_secret")
    old = int(time.time()) - 600  # Stripe's tolerance is five minutes
    for answer in (
        deliver(deployment, payload, header=forged),
        deliver(deployment, payload, timestamp=old),
        deliver(deployment, payload, header="t=1,v1=00"),
    ):
        assert answer.status_code == 400 and answer.json()["status"] == "refused", answer.text
    assert not deployment.sql(
        "SELECT 1 FROM billing_stripeevent WHERE event_id = %s", payload["id"]
    )
    status = deployment.value("SELECT status FROM billing_invoice WHERE id = %s", invoices[1].pk)
    assert status == "open"
