"""Our email backends: the embedded default (one RFC 5322 `.eml` file per message), Django's
SMTP backend with a quicker envelope, and anymail's Resend with an idempotency key."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.utils import timezone

from .mime import PLAIN_ADDRESS


def _resend_backend():
    from anymail.backends.resend import EmailBackend

    return EmailBackend


class EmlFileBackend(BaseEmailBackend):
    """Write each message to `settings.EMAIL_OUTBOX_DIR` as an `.eml` file any mail client opens."""

    def __init__(self, *args, outbox_dir: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages) -> int:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
            (self.outbox_dir / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend. Its `prep_address` reads every envelope address with the email
    package's header parser: 0.1 ms an address, two an email, about as much as building the
    whole message (apps/mail/mime.py). An address of the plain shape the MIME writer also
    takes (`mime.PLAIN_ADDRESS`) is its own addr-spec; any other still goes through Django's,
    which stays the reference (a property test compares the two)."""

    def prep_address(self, address, force_ascii=True):
        plain = PLAIN_ADDRESS.fullmatch(str(address))
        if plain is None:
            return super().prep_address(address, force_ascii)
        return plain["named"] or plain["bare"]


class ResendBackend(_resend_backend()):
    """anymail's Resend backend, sending the message's `idempotency_key` as Resend's
    Idempotency-Key header: a delivery retried after a crash is not delivered twice."""

    def build_message_payload(self, message, defaults):
        payload = super().build_message_payload(message, defaults)
        key = getattr(message, "idempotency_key", None)
        if key:
            payload.headers["Idempotency-Key"] = key
        return payload
