"""Every provider we configure: its documented events, forged credentials, hostile bodies,
and odd but readable events, over the webhook routes."""

import base64
import json

import pytest
from django.test import Client

from apps.mail.models import EmailEvent, OutboundEmail, Suppression
from tests.mail import webhook_payloads as payloads

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_anymail")]


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_each_providers_documented_hard_bounce_is_stored_and_suppresses(
    client, sent_email, provider
):
    if provider == "mailgun":  # Mailgun's message ids keep their angle brackets
        OutboundEmail.objects.filter(pk=sent_email.pk).update(
            message_id=f"<{sent_email.message_id}>"
        )
    response = payloads.post_json(client, provider, payloads.DOCUMENTED[provider]())
    assert response.status_code == 200, response.content
    bounce = EmailEvent.objects.get(event_type="bounced")
    assert bounce.email == sent_email and bounce.recipient == "john@example.com"
    assert Suppression.objects.get().address == "john@example.com"


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_each_provider_is_accepted_without_a_csrf_cookie_as_providers_post(sent_email, provider):
    # Providers send no cookie and no CSRF token: the route must not ask for one (it answered
    # 403 "CSRF cookie not set" to every real provider, which the default test Client hides).
    strict = Client(enforce_csrf_checks=True)
    response = payloads.post_json(strict, provider, payloads.DOCUMENTED[provider]())
    assert response.status_code == 200, (response.status_code, response.content[:200])
    assert EmailEvent.objects.filter(event_type="bounced", recipient="john@example.com").exists()


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_each_provider_refuses_a_forged_or_missing_credential(client, sent_email, provider):
    body = json.dumps(payloads.DOCUMENTED[provider]()).encode()
    wrong = "Basic " + base64.b64encode(b"anymail:guess").decode()
    response = payloads.post_raw(client, provider, body, Authorization=wrong)
    assert response.status_code in (400, 401)
    if provider == "mailgun":  # its signature block, forged
        forged = payloads.mailgun_failed()
        forged["signature"]["signature"] = "0" * 64
        assert payloads.post_json(client, provider, forged).status_code == 400
    assert not EmailEvent.objects.exists() and not Suppression.objects.exists()


HOSTILE_BODIES = {
    "malformed JSON": b'{"RecordType": "Bounce",',
    "empty": b"",
    "empty list": b"[]",
    "null": b"null",
    "a string": b'"bounce"',
    "a number": b"42",
    "form-encoded": b"RecordType=Bounce&Email=john%40example.com",
    "binary": bytes(range(256)),
    "not UTF-8": b'{"x": "\xff\xfe"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 50 + b"1" + b"}" * 50,
    "NaN and Infinity": b'{"RecordType": "Bounce", "ID": NaN, "type": Infinity}',
}


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
@pytest.mark.parametrize("kind", HOSTILE_BODIES)
def test_bodies_that_are_not_a_payload_are_refused_with_400(client, provider, kind):
    body = HOSTILE_BODIES[kind]
    content_type = "application/x-www-form-urlencoded" if "form" in kind else "application/json"
    response = payloads.post_raw(client, provider, body, content_type=content_type)
    assert response.status_code == 400, (kind, response.status_code, response.content[:200])
    assert not EmailEvent.objects.exists()


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(client, provider, settings):
    settings.MAIL_WEBHOOK_MAX_BYTES = 1000
    body = json.dumps(payloads.DOCUMENTED[provider]()).encode().ljust(1001)
    assert payloads.post_raw(client, provider, body).status_code == 413
    assert not EmailEvent.objects.exists()


def test_a_webhook_that_is_not_configured_is_a_404_not_a_500(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": payloads.WEBHOOK_SECRET}  # no Mailgun signing key
    response = payloads.post_json(client, "mailgun", payloads.mailgun_failed())
    assert response.status_code == 404
    assert client.post("/webhooks/brevo/tracking/", "{}", "application/json").status_code == 404


LONG = {
    "address": "a" * 300 + "@example.com",
    "id": "m" * 1000,
    "url": "https://x.example/" + "p" * 3000,
}


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        (
            "postmark",
            payloads.postmark_bounce(
                Email=LONG["address"],
                MessageID=LONG["id"],
                Metadata="not-an-object",
                Details="550 \x00 no such user\x00",
            ),
        ),
        ("postmark", payloads.postmark_bounce(Metadata=["a", 1], Description=None, ID="x\x00")),
        (
            "postmark",
            {
                "RecordType": "Click",
                "MessageID": LONG["id"],
                "Recipient": "j@x.example",
                "OriginalLink": LONG["url"],
                "ReceivedAt": "2026-11-25T16:33:54Z",
                "Metadata": 7,
                "Tag": "welcome",
            },
        ),
        (
            "sendgrid",
            payloads.sendgrid_events(
                email=LONG["address"],
                url=LONG["url"],
                reason="5.0.0\x00",
                **{"smtp-id": LONG["id"]},
            ),
        ),
        (
            "mailgun",
            payloads.mailgun_failed(
                **{"user-variables": "oops", "recipient": "x\x00@y.z", "id": LONG["id"]}
            ),
        ),
        ("amazon_ses", payloads.ses_bounce(score=float("inf"), note="\x00")),  # inside SNS
        (
            "resend",
            payloads.resend_event(
                "email.clicked",
                to=[LONG["address"]],
                click={"link": LONG["url"], "userAgent": "\x00"},
            ),
        ),
    ],
)
def test_odd_but_readable_events_are_stored_cut_to_their_columns_without_nul(
    client, provider, payload
):
    response = payloads.post_json(client, provider, payload)
    assert response.status_code == 200, response.content
    for event in EmailEvent.objects.all():
        stored = json.dumps(event.payload) + event.mta_response + event.event_id
        assert "\x00" not in stored and "\\u0000" not in stored
        assert len(event.message_id) <= 255 and len(event.recipient) <= 254
        assert event.click_url in ("", LONG["url"])  # kept whole: the column is text
    assert EmailEvent.objects.exists()
    assert not Suppression.objects.exclude(address__regex=r"^[^\x00]{1,254}$").exists()


def test_a_sendgrid_batch_keeps_its_readable_events_when_one_is_not(client, sent_email):
    batch = [*payloads.sendgrid_events(), {"event": ["not", "a", "name"], "email": 5}]
    assert payloads.post_json(client, "sendgrid", batch).status_code == 200
    assert EmailEvent.objects.count() == 2
    assert payloads.post_json(client, "sendgrid", [{"event": {}}]).status_code == 400


def test_an_unreadable_event_is_refused_and_nothing_of_it_is_stored(client):
    for provider, payload in [
        ("postmark", {"RecordType": ["Bounce"]}),
        ("resend", {"type": {"a": 1}}),
        ("amazon_ses", payloads.sns_notification("[1, 2]", message_id="m")),
        ("amazon_ses", payloads.sns_notification({"a": 1}, message_id="m")),
        ("amazon_ses", payloads.sns_notification("{", message_id="m")),
        ("mailgun", {"signature": payloads.mailgun_signature(), "event-data": {"event": ["x"]}}),
    ]:
        response = payloads.post_json(client, provider, payload)
        assert response.status_code == 400, (provider, response.content)
    assert not EmailEvent.objects.exists()
