"""Provider webhooks, posted exactly as each provider documents them: Postmark and Resend in
detail (the two we send through most). Every provider's documented events, hostile bodies and
odd events: test_webhooks_every_provider.py; NULs and lone surrogates: test_webhooks_poison.py."""

import base64
import json
from datetime import UTC, datetime

import pytest
from svix.webhooks import Webhook

from apps.mail.models import EmailEvent, OutboundEmail, Suppression
from tests.mail.webhook_payloads import AUTH, RESEND_SECRET, postmark_bounce

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_anymail")]


def postmark(client, payload, auth=AUTH):
    headers = {"Authorization": auth} if auth else {}
    return client.post(
        "/webhooks/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        headers=headers,
    )


def test_a_postmark_hard_bounce_is_stored_against_its_email_and_suppresses(client, sent_email):
    response = postmark(client, postmark_bounce())
    assert response.status_code == 200
    event = EmailEvent.objects.get()
    assert (event.email, event.event_type, event.reject_reason) == (
        sent_email,
        "bounced",
        "bounced",
    )
    assert event.esp_name == "Postmark" and "550 5.1.1" in event.mta_response
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("john@example.com", "bounce")
    assert suppression.source_event == event


def test_a_duplicate_delivery_of_the_same_event_is_stored_once(client, sent_email):
    assert postmark(client, postmark_bounce()).status_code == 200
    assert postmark(client, postmark_bounce()).status_code == 200
    assert EmailEvent.objects.count() == 1 and Suppression.objects.count() == 1


def test_webhooks_without_or_with_wrong_auth_are_refused(client, sent_email):
    assert postmark(client, postmark_bounce(), auth=None).status_code == 400
    wrong = "Basic " + base64.b64encode(b"anymail:guess").decode()
    assert postmark(client, postmark_bounce(), auth=wrong).status_code == 400
    assert not EmailEvent.objects.exists() and not Suppression.objects.exists()


def test_a_postmark_soft_bounce_and_delivery_do_not_suppress(client, sent_email):
    soft = postmark_bounce(Type="SoftBounce", TypeCode=4096, ID=42, Name="Soft bounce")
    delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "john@example.com",
        "Tag": "welcome",
        "DeliveredAt": "2026-11-25T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"outbox_id": "1"},
    }
    assert postmark(client, soft).status_code == 200
    assert postmark(client, delivery).status_code == 200
    assert set(sent_email.events.values_list("event_type", flat=True)) == {"bounced", "delivered"}
    assert not Suppression.objects.exists()


def test_a_postmark_spam_complaint_suppresses(client, sent_email):
    complaint = postmark_bounce(
        RecordType="SpamComplaint", Type="SpamComplaint", TypeCode=512, Name="Spam complaint", ID=43
    )
    assert postmark(client, complaint).status_code == 200
    assert Suppression.objects.get().reason == "complaint"


def resend(client, payload, *, svix_id="msg_2W2D3qXLS5fOaPja1GDg7rF2CwB", secret=RESEND_SECRET):
    body = json.dumps(payload)
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id=svix_id, timestamp=now, data=body)
    headers = {
        "Authorization": AUTH,
        "svix-id": svix_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": signature,
    }
    return client.post(
        "/webhooks/resend/tracking/", data=body, content_type="application/json", headers=headers
    )


def resend_event(kind: str, **data) -> dict:
    # https://resend.com/docs/dashboard/webhooks/event-types
    return {
        "type": kind,
        "created_at": "2026-11-25T18:11:26.101Z",
        "data": {
            "created_at": "2026-11-25T18:11:25.729Z",
            "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
            "from": "SummaSaaS <hello@summasaas.local>",
            "to": ["ada@example.com"],
            "subject": "Acme has used 80 % of this month's characters",
            **data,
        },
    }


@pytest.fixture
def resend_email(db):
    return OutboundEmail.objects.create(
        template_key="quota_alert_80",
        to="ada@example.com",
        status="sent",
        provider="Resend",
        message_id="56761188-7520-42d8-8898-ff6fc54ce618",
    )


def test_signed_resend_events_are_stored_and_a_bounce_suppresses(client, resend_email):
    bounce = resend_event(
        "email.bounced",
        bounce={
            "message": "The recipient's email provider sent a hard bounce message, but didn't "
            "specify the reason for the hard bounce."
        },
    )
    assert resend(client, resend_event("email.delivered"), svix_id="msg_1").status_code == 200
    assert resend(client, bounce, svix_id="msg_2").status_code == 200
    assert resend(client, bounce, svix_id="msg_2").status_code == 200  # redelivered
    kinds = list(resend_email.events.order_by("received_at").values_list("event_type", flat=True))
    assert kinds == ["delivered", "bounced"]
    assert Suppression.objects.get().address == "ada@example.com"


def test_resend_complaints_suppress_and_bad_signatures_are_refused(client, resend_email):
    forged = "whsec_" + base64.b64encode(b"not-the-secret").decode()
    response = resend(client, resend_event("email.complained"), secret=forged)
    assert response.status_code == 400 and not EmailEvent.objects.exists()
    assert resend(client, resend_event("email.complained")).status_code == 200
    assert Suppression.objects.get().reason == "complaint"


def test_production_requires_the_webhook_secret(tmp_path):
    from tests.project.test_settings import PRODUCTION, manage

    env = {k: v for k, v in PRODUCTION.items() if k != "WEBHOOK_SECRET"}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0 and "WEBHOOK_SECRET is not set" in result.stderr
