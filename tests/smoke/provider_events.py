"""Each provider's documented tracking events (delivered, bounce, complaint, open, click), as the
provider posts them, for one recipient address per event so that what is stored can be told
apart. Shapes follow each provider's webhook reference (linked per builder); credentials and
signatures come from tests/mail/webhook_payloads.py.
"""

import hashlib
import json

from tests.mail import webhook_payloads as payloads

KINDS = ("delivered", "bounced", "complained", "opened", "clicked")
CLICKED_URL = "https://summasaas.test/pricing?utm=smoke"
AT = "2026-11-25T16:33:54Z"


def address(provider: str, kind: str) -> str:
    return f"{kind}.{provider}@smoke.example"


def event_id(message_id: str, kind: str) -> str:
    """The provider's id of one event: the same on a redelivery, new for a new message."""
    return hashlib.sha256(f"{message_id}:{kind}".encode()).hexdigest()[:16]


def postmark(kind: str, message_id: str) -> list:
    # https://postmarkapp.com/developer/webhooks/webhooks-overview (each record type's page)
    to = address("postmark", kind)
    common = {
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Tag": "welcome",
        "Metadata": {"template": "welcome"},
        "ServerID": 23,
    }
    client = {
        "Client": {"Name": "Chrome", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "Linux", "Company": "-", "Family": "Linux"},
        "UserAgent": "Mozilla/5.0",
        "Geo": {"CountryISOCode": "FR"},
    }
    return [
        {
            "delivered": lambda: {
                "RecordType": "Delivery",
                "Recipient": to,
                "DeliveredAt": AT,
                "Details": "smtp;250 2.0.0 OK",
                **common,
            },
            "bounced": lambda: payloads.postmark_bounce(
                Email=to,
                MessageID=message_id,
                ID=int(event_id(message_id, kind), 16),
                Metadata={"template": "welcome"},
            ),
            "complained": lambda: payloads.postmark_bounce(
                RecordType="SpamComplaint",
                Type="SpamComplaint",
                TypeCode=512,
                ID=int(event_id(message_id, kind), 16),
                Name="Spam complaint",
                Email=to,
                MessageID=message_id,
                Metadata={},
            ),
            "opened": lambda: {
                "RecordType": "Open",
                "FirstOpen": True,
                "Recipient": to,
                "ReceivedAt": AT,
                "Platform": "WebMail",
                "ReadSeconds": 5,
                **client,
                **common,
            },
            "clicked": lambda: {
                "RecordType": "Click",
                "ClickLocation": "HTML",
                "Recipient": to,
                "OriginalLink": CLICKED_URL,
                "ReceivedAt": AT,
                "Platform": "Desktop",
                **client,
                **common,
            },
        }[kind]()
    ]


def resend(kind: str, message_id: str) -> list:
    # https://resend.com/docs/dashboard/webhooks/event-types
    data = {
        "created_at": "2026-11-25T18:11:25.729Z",
        "email_id": message_id,
        "from": "SummaSaaS <hello@summasaas.test>",
        "to": [address("resend", kind)],
        "subject": "Welcome to SummaSaaS",
    }
    if kind == "bounced":
        data["bounce"] = {
            "message": "The recipient's email provider sent a hard bounce message.",
            "subType": "General",
            "type": "Permanent",
        }
    if kind == "clicked":
        data["click"] = {
            "ipAddress": "203.0.113.9",
            "link": CLICKED_URL,
            "timestamp": AT,
            "userAgent": "Mozilla/5.0",
        }
    return [{"type": f"email.{kind}", "created_at": AT, "data": data}]


SENDGRID_EVENTS = {
    "delivered": "delivered",
    "bounced": "bounce",
    "complained": "spamreport",
    "opened": "open",
    "clicked": "click",
}


def sendgrid_batch(message_id: str) -> list:
    # https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event: one POST
    # carries a batch of events.
    batch = []
    for number, kind in enumerate(KINDS):
        event = {
            "email": address("sendgrid", kind),
            "timestamp": 1764088434 + number,
            "event": SENDGRID_EVENTS[kind],
            "sg_event_id": event_id(message_id, kind),
            "sg_message_id": f"{message_id}.filter0001.16648.5515E0B88.0",
            "smtp-id": f"<{message_id}@ismtpd-555>",
            "category": ["welcome"],
        }
        if kind == "bounced":
            event |= {"type": "bounce", "reason": "550 5.1.1 unknown user", "status": "5.1.1"}
        if kind == "clicked":
            event |= {"url": CLICKED_URL, "useragent": "Mozilla/5.0", "ip": "203.0.113.9"}
        if kind == "delivered":
            event |= {"response": "250 OK"}
        batch.append(event)
    return batch


def mailgun(kind: str, message_id: str) -> list:
    # https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#webhooks
    to = address("mailgun", kind)
    event = {
        "delivered": "delivered",
        "bounced": "failed",
        "complained": "complained",
        "opened": "opened",
        "clicked": "clicked",
    }[kind]
    changes = {
        "event": event,
        "id": event_id(message_id, kind),
        "recipient": to,
        "envelope": {"targets": to, "transport": "smtp", "sender": "hello@summasaas.test"},
        "message": {"headers": {"message-id": message_id, "to": to}},
    }
    if kind != "bounced":
        changes |= {"severity": None, "reason": None, "log-level": "info"}
    if kind == "clicked":
        changes["url"] = CLICKED_URL
    body = payloads.mailgun_failed(**changes)
    # anymail takes the signature's token as the event's id: Mailgun signs each post with a
    # fresh token (and posts a retry unchanged).
    body["signature"] = payloads.mailgun_signature(token=event_id(message_id, kind) * 3)
    return [body]


def amazon_ses(kind: str, message_id: str) -> list:
    # https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
    to = address("amazon_ses", kind)
    inner = json.loads(payloads.ses_bounce()["Message"])
    inner["mail"] |= {"messageId": message_id, "destination": [to]}
    objects = {
        "delivered": (
            "Delivery",
            {
                "timestamp": AT,
                "recipients": [to],
                "smtpResponse": "250 OK",
                "processingTimeMillis": 546,
                "reportingMTA": "a8-70.smtp",
            },
        ),
        "bounced": (
            "Bounce",
            {
                **inner["bounce"],
                "bouncedRecipients": [
                    {
                        "emailAddress": to,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
            },
        ),
        "complained": (
            "Complaint",
            {
                "complainedRecipients": [{"emailAddress": to}],
                "timestamp": AT,
                "feedbackId": "0100-smoke",
                "complaintFeedbackType": "abuse",
            },
        ),
        "opened": (
            "Open",
            {"ipAddress": "203.0.113.9", "timestamp": AT, "userAgent": "Mozilla/5.0"},
        ),
        "clicked": (
            "Click",
            {
                "ipAddress": "203.0.113.9",
                "timestamp": AT,
                "link": CLICKED_URL,
                "linkTags": {},
                "userAgent": "Mozilla/5.0",
            },
        ),
    }
    event_type, body = objects[kind]
    event = {"eventType": event_type, "mail": inner["mail"], event_type.lower(): body}
    return [payloads.sns_notification(json.dumps(event), message_id=event_id(message_id, kind))]


def posts(provider: str, message_id: str) -> list:
    """The bodies the provider posts for the five events (SendGrid: one batch of five)."""
    if provider == "sendgrid":
        return [sendgrid_batch(message_id)]
    build = {"postmark": postmark, "resend": resend, "mailgun": mailgun, "amazon_ses": amazon_ses}
    return [body for kind in KINDS for body in build[provider](kind, message_id)]
