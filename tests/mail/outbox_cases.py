"""What the outbox tests share: a queued quota alert, and raw message bytes parsed as a mail
client reads them."""

import email
import email.policy

from apps.mail.models import OutboundEmail
from apps.mail.services import send_email

Status = OutboundEmail.Status
ALERT_CONTEXT = {
    "name": "Ada",
    "organization_name": "Acme",
    "month": "2026-11",
    "used": 8000,
    "limit": 10000,
    "remaining": 2000,
    "percent": 80,
    "upgrade_url": "https://x.example/",
}


def queue(key="quota_alert_80", to="ada@example.com", context=None, **kwargs) -> OutboundEmail:
    return send_email(template_key=key, to=to, context=context or ALERT_CONTEXT, **kwargs)


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)
