"""Provider tracking webhooks as each provider documents and signs them, posted on the wire.

One builder per provider returns (body, headers) for a documented event; `post_raw` posts any
bytes to a provider's route with valid credentials, so hostile bodies reach the parsers.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from svix.webhooks import Webhook

WEBHOOK_SECRET = "anymail:hook-secret-for-tests"
AUTH = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()
RESEND_SECRET = "whsec_" + base64.b64encode(b"resend-signing-secret-for-tests").decode()
MAILGUN_KEY = "mailgun-signing-key-for-tests"
ANYMAIL_SETTINGS = {
    "WEBHOOK_SECRET": WEBHOOK_SECRET,
    "RESEND_SIGNING_SECRET": RESEND_SECRET,
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
}
PROVIDERS = ["postmark", "resend", "sendgrid", "mailgun", "amazon_ses"]
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


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
        "MessageID": MESSAGE_ID,
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


def resend_event(kind: str = "email.bounced", **data) -> dict:
    # https://resend.com/docs/dashboard/webhooks/event-types
    return {
        "type": kind,
        "created_at": "2026-11-25T18:11:26.101Z",
        "data": {
            "created_at": "2026-11-25T18:11:25.729Z",
            "email_id": MESSAGE_ID,
            "from": "SummaSaaS <hello@summasaas.local>",
            "to": ["john@example.com"],
            "subject": "Welcome to SummaSaaS",
            "bounce": {
                "message": "The recipient's email provider sent a hard bounce message, "
                "but didn't specify the reason for the hard bounce.",
                "subType": "Suppressed",
                "type": "Permanent",
            },
            **data,
        },
    }


def sendgrid_events(**changes) -> list:
    # https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event (a batch)
    base = {
        "email": "john@example.com",
        "timestamp": 1764088434,
        "category": ["welcome"],
        "smtp-id": f"<{MESSAGE_ID}@ismtpd-555>",
        "anymail_id": MESSAGE_ID,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "outbox_id": "1",
    }
    return [
        {**base, "event": "processed", "sg_event_id": "sg-processed-1"},
        {
            **base,
            "event": "bounce",
            "sg_event_id": "sg-bounce-1",
            "type": "bounce",
            "reason": "500 unknown recipient",
            "status": "5.0.0",
            **changes,
        },
    ]


def mailgun_failed(**changes) -> dict:
    # https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#webhooks
    data = {
        "event": "failed",
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": 1764088434.329574,
        "log-level": "error",
        "severity": "permanent",
        "reason": "suppress-bounce",
        "envelope": {
            "sender": "bob@summasaas.local",
            "transport": "smtp",
            "targets": "john@example.com",
        },
        "flags": {
            "is-routed": False,
            "is-authenticated": True,
            "is-system-test": False,
            "is-test-mode": False,
        },
        "delivery-status": {
            "attempt-no": 1,
            "message": "",
            "code": 605,
            "session-seconds": 0.0,
            "description": "Not delivering to previously bounced address",
        },
        "message": {
            "headers": {
                "to": "John <john@example.com>",
                "message-id": MESSAGE_ID,
                "from": "SummaSaaS <hello@summasaas.local>",
                "subject": "Welcome to SummaSaaS",
            },
            "attachments": [],
            "size": 111,
        },
        "recipient": "john@example.com",
        "recipient-domain": "example.com",
        "campaigns": [],
        "tags": ["welcome"],
        "user-variables": {"outbox_id": "1"},
        **changes,
    }
    return {"signature": mailgun_signature(), "event-data": data}


def mailgun_signature(token: str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0") -> dict:
    timestamp = str(int(time.time()))
    digest = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {"timestamp": timestamp, "token": token, "signature": digest.hexdigest()}


def ses_bounce(message_id: str = "d2a4f9d8-3e0a-5c5e-9b8b-5c2c0a9f1d11", **changes) -> dict:
    # https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html
    event = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": "john@example.com",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-11-25T16:33:54.669Z",
            "feedbackId": "0100015d-a4a9-4f5e-8f5c-5a6c0b1b1c1d-000000",
            "reportingMTA": "dsn; mta.example.com",
        },
        "mail": {
            "timestamp": "2026-11-25T16:33:53.000Z",
            "source": "hello@summasaas.local",
            "sendingAccountId": "123456789012",
            "messageId": MESSAGE_ID,
            "destination": ["john@example.com"],
            "headersTruncated": False,
            "headers": [{"name": "X-Metadata", "value": '{"outbox_id": "1"}'}],
            "commonHeaders": {
                "from": ["hello@summasaas.local"],
                "to": ["john@example.com"],
                "messageId": MESSAGE_ID,
                "subject": "Welcome",
            },
        },
        **changes,
    }
    return sns_notification(json.dumps(event), message_id=message_id)


def sns_notification(message, *, message_id: str) -> dict:
    # https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-tracking",
        "Message": message,
        "Timestamp": "2026-11-25T16:33:54.700Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


DOCUMENTED = {
    "postmark": postmark_bounce,
    "resend": resend_event,
    "sendgrid": sendgrid_events,
    "mailgun": mailgun_failed,
    "amazon_ses": ses_bounce,
}


def headers_for(provider: str, body: bytes, *, svix_id: str = "msg_1") -> dict:
    """Valid credentials for `body` on `provider`'s route (auth, signatures, SNS headers)."""
    headers = {"Authorization": AUTH}
    if provider == "resend":
        now = datetime.now(tz=UTC)
        signature = Webhook(RESEND_SECRET).sign(
            msg_id=svix_id, timestamp=now, data=body.decode("utf-8", "replace")
        )
        headers |= {
            "svix-id": svix_id,
            "svix-timestamp": str(int(now.timestamp())),
            "svix-signature": signature,
        }
    if provider == "amazon_ses":
        try:
            sns = json.loads(body)
        except (ValueError, RecursionError):
            sns = {}
        sns = sns if isinstance(sns, dict) else {}
        headers |= {
            "x-amz-sns-message-type": str(sns.get("Type", "Notification")),
            "x-amz-sns-message-id": str(sns.get("MessageId", "m-1")),
        }
    return headers


def post_raw(client, provider: str, body: bytes, *, content_type="application/json", **extra):
    headers = {**headers_for(provider, body), **extra}
    return client.generic(
        "POST", f"/webhooks/{provider}/tracking/", body, content_type=content_type, headers=headers
    )


def post_json(client, provider: str, payload, **extra):
    return post_raw(client, provider, json.dumps(payload).encode(), **extra)
