"""Provider webhooks, posted exactly as each provider documents them, and hostile bodies."""

import base64
import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from svix.webhooks import Webhook

from apps.mail.models import EmailEvent, OutboundEmail, Suppression
from tests.mail import webhook_payloads as payloads
from tests.mail.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
AUTH = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()
RESEND_SECRET = "whsec_" + base64.b64encode(b"resend-signing-secret-for-tests").decode()


@pytest.fixture(autouse=True)
def secured(settings):
    settings.ANYMAIL = dict(payloads.ANYMAIL_SETTINGS)


@pytest.fixture
def sent_email(db):
    return OutboundEmail.objects.create(
        template_key="welcome",
        to="john@example.com",
        status="sent",
        provider="Postmark",
        message_id="883953f4-6105-42a2-a16a-77a8eac79483",
    )


def postmark_bounce(**changes) -> dict:
    # https://postmarkapp.com/developer/webhooks/bounce-webhook
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "welcome",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"outbox_id": "1"},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "john@example.com",
        "From": "hello@summasaas.local",
        "BouncedAt": "2026-11-25T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Welcome to SummaSaaS",
        "Content": "<Full dump>",
        **changes,
    }


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


# --- every provider we configure, as documented -------------------------------------------


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
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}  # no Mailgun signing key
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


# --- text that cannot be stored: NULs and lone surrogates (valid JSON, refused by PostgreSQL) ---

POISON = "Jo\ud800hn \x00<\udfff>"  # json.dumps writes it as ASCII escapes: a valid body
POISONED = {
    "postmark": lambda: payloads.postmark_bounce(
        Description=POISON,
        Details="550 " + POISON,
        Tag=POISON,
        Subject=POISON,
        Metadata={"outbox_id": "1", "note": POISON, POISON: "a poisoned key"},
    ),
    "resend": lambda: payloads.resend_event(
        subject=POISON,
        tags={"note": POISON},
        bounce={
            "message": "The recipient's email provider sent a hard bounce message. " + POISON,
            "subType": POISON,
            "type": "Permanent",
        },
    ),
    "sendgrid": lambda: payloads.sendgrid_events(
        reason="550 " + POISON, category=[POISON], note=POISON
    ),
    "mailgun": lambda: payloads.mailgun_failed(
        tags=[POISON],
        **{
            "user-variables": {"outbox_id": "1", "note": POISON},
            "delivery-status": {"code": 550, "message": "550 " + POISON, "description": POISON},
        },
    ),
    "amazon_ses": lambda: payloads.ses_bounce(
        note=POISON,
        mail={
            **json.loads(payloads.ses_bounce()["Message"])["mail"],
            "commonHeaders": {"subject": POISON, "to": ["john@example.com"]},
            "headers": [{"name": "X-Metadata", "value": json.dumps({"note": POISON})}],
        },
    ),
}


def storable(event: EmailEvent) -> bool:
    from apps.text_input import poison_in

    texts = [
        event.event_id,
        event.message_id,
        event.recipient,
        event.reject_reason,
        event.description,
        event.mta_response,
        event.click_url,
    ]
    return poison_in(texts) is None and poison_in(event.payload) is None


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_nuls_and_lone_surrogates_in_any_field_are_stored_cleaned(client, sent_email, provider):
    if provider == "mailgun":  # Mailgun's message ids keep their angle brackets
        OutboundEmail.objects.filter(pk=sent_email.pk).update(
            message_id=f"<{sent_email.message_id}>"
        )
    response = payloads.post_json(client, provider, POISONED[provider]())
    assert response.status_code == 200, (response.status_code, response.content[:300])
    bounce = EmailEvent.objects.get(event_type="bounced")
    assert bounce.email == sent_email and all(storable(e) for e in EmailEvent.objects.all())
    assert "\ufffd" in json.dumps(bounce.payload, ensure_ascii=False)  # replaced, not dropped
    assert Suppression.objects.get().address == "john@example.com"


def test_poisoned_identifiers_are_stored_cleaned_and_a_poisoned_address_is_not_suppressed(
    client, sent_email
):
    payload = payloads.postmark_bounce(
        MessageID="883953f4\ud800", Email="john\ud800@example.com", ID="id\x00\udbff"
    )
    assert payloads.post_json(client, "postmark", payload).status_code == 200
    event = EmailEvent.objects.get()
    assert storable(event) and event.message_id == "883953f4\ufffd"
    assert event.recipient == "john\ufffd@example.com" and not Suppression.objects.exists()


def test_a_sendgrid_batch_with_one_poisoned_event_is_stored_whole(client, sent_email):
    clean, poisoned = payloads.sendgrid_events(reason="\ud800\x00")
    assert payloads.post_json(client, "sendgrid", [clean, poisoned]).status_code == 200
    assert EmailEvent.objects.count() == 2
    assert all(storable(event) for event in EmailEvent.objects.all())


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        (
            "amazon_ses",
            lambda: payloads.ses_bounce(
                bounce={
                    **json.loads(payloads.ses_bounce()["Message"])["bounce"],
                    "bounceType": "Transient",
                    "bounceSubType": "MailboxFull",
                }
            ),
        ),
        (
            "amazon_ses",
            lambda: payloads.ses_bounce(
                bounce={
                    **json.loads(payloads.ses_bounce()["Message"])["bounce"],
                    "bounceType": "Undetermined",
                    "bounceSubType": "Undetermined",
                }
            ),
        ),
        (
            "resend",
            lambda: payloads.resend_event(
                bounce={
                    "message": "The recipient's email provider sent a bounce message because the "
                    "recipient's inbox was full.",
                    "subType": "MailboxFull",
                    "type": "Transient",
                }
            ),
        ),
    ],
)
def test_a_bounce_the_provider_calls_transient_is_stored_but_does_not_suppress(
    client, sent_email, provider, payload
):
    # A full mailbox takes mail again later: suppressing it would silence the address for good.
    assert payloads.post_json(client, provider, payload()).status_code == 200
    assert EmailEvent.objects.get().event_type == "bounced"
    assert not Suppression.objects.exists()
