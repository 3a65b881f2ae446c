"""Provider batch sends: a delivery batch goes to the provider in as few calls as its batch
endpoint allows, each message's own answer mapped back to its outbox row.

anymail sends one message per call (its maintainers list batch sends of different messages as
a known limit). Here anymail still builds each message's JSON exactly as it would send it
(`build_message_payload`, with its settings, session, auth and API URL: `POSTMARK_API_URL`,
`RESEND_API_URL` in `ANYMAIL`), and one module per provider posts them together and reads the
provider's documented batch answer: this package is the only code that reaches into anymail's
backends. Tracking webhooks and every provider without a batch module (Mailgun, Amazon SES)
stay anymail's as they are.
"""

from .base import Answer, BatchSender, ResponseLost
from .postmark import PostmarkBatch
from .resend import ResendBatch
from .sendgrid import SendGridBatch

__all__ = ["Answer", "BatchSender", "ResponseLost", "batch_sender_for"]

_SENDERS = {"postmark": PostmarkBatch, "resend": ResendBatch, "sendgrid": SendGridBatch}


def batch_sender_for(backend) -> BatchSender | None:
    """The batch sender for this mail backend, or None when it sends one message per call."""
    sender = _SENDERS.get(getattr(backend, "esp_name", "").lower())
    return sender(backend) if sender is not None else None
