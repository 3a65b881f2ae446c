"""The way out: one open connection (an SMTP session, an anymail backend) for a whole batch.

`Transport` opens the default mailer once and sends messages one at a time over it, so each
email gets its own outcome; a connection that broke is reopened for the next message.
"""

import contextlib
import email.policy
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailError
from django.conf import settings
from django.core.mail import mailers, make_msgid
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from requests import RequestException

from ..exceptions import PermanentDeliveryError, TransientDeliveryError
from ..message import OutboxMessage
from ..models import ESSENTIAL_CATEGORIES, OutboundEmail
from ..providers import Answer, batch_sender_for
from ..rendering import Rendered
from ..tokens import make_unsubscribe_token
from .personalize import unsubscribe_url


class Transport:
    """The default mailer, opened once: `send` one message at a time, `close` at the end."""

    def __init__(self):
        self.backend = mailers.default
        self.provider = (
            getattr(self.backend, "esp_name", None) or type(self.backend).__module__.split(".")[-1]
        )
        self.is_anymail = type(self.backend).__module__.startswith("anymail.")
        self.batch = batch_sender_for(self.backend)  # None: one message per call
        self.opened = False

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.opened:
            self.opened = False
            # A broken connection cannot be closed politely; it is gone either way.
            with contextlib.suppress(Exception):
                self.backend.close()

    def prepare(self, message: OutboxMessage) -> None:
        """Do ahead what sending can: over SMTP, build the MIME message and its bytes."""
        if isinstance(self.backend, SMTPBackend):
            message.prebuild(email.policy.SMTP)

    def send(self, message: OutboxMessage) -> str:
        """Send one message; its provider message id, or a typed error."""
        try:
            if not self.opened:
                self.backend.open()
                self.opened = True
            self.backend.send_messages([message])
        except Exception as error:
            transient = is_transient(error)
            if transient:
                self.close()  # the next message starts on a fresh connection
            kind = TransientDeliveryError if transient else PermanentDeliveryError
            raise kind(f"{self.provider}: {type(error).__name__}: {error}") from error
        status = getattr(message, "anymail_status", None)
        if status is not None and status.message_id is not None:
            return str(status.message_id)
        return message.extra_headers.get("Message-ID", "")

    def send_batch(self, messages: list[OutboxMessage]) -> list[Answer]:
        """Send messages in one call of the provider's batch endpoint; each one's answer.
        Raises TransientDeliveryError when none was sent, ResponseLost when the answer was
        lost, PermanentDeliveryError when anymail cannot build one of them."""
        if not self.opened:
            self.backend.open()
            self.opened = True
        try:
            return self.batch.send(messages)
        except AnymailError as error:  # a message anymail cannot express for this provider
            raise PermanentDeliveryError(f"{self.provider}: {error}") from error


def build_message(
    *, email: OutboundEmail, rendered: Rendered, category: str, anymail: bool
) -> OutboxMessage:
    """The message for one outbox row: headers, both bodies, anymail's metadata and tags."""
    headers = {"X-Outbox-Id": str(email.pk)}
    if not anymail:
        headers["Message-ID"] = make_msgid(domain=_from_domain())
    if category not in ESSENTIAL_CATEGORIES:
        token = make_unsubscribe_token(address=email.to, category=category)
        https = unsubscribe_url(address=email.to, category=category)
        mailto = f"mailto:{settings.MAIL_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
        headers["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = OutboxMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # anymail reads these; other backends ignore them
    message.metadata = {"outbox_id": str(email.pk)}
    # Providers that honour it (Resend) deliver one message per key: a re-send is safe.
    message.idempotency_key = f"summasaas-outbox-{email.pk}"
    message.tags = [email.template_key]
    if email.secret_keys:
        # A provider's click tracking would rewrite the one-time link and report it back in
        # its webhook events: such emails go untracked.
        message.track_clicks = False
    return message


def _from_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.split("@")[-1].strip(">")


def is_transient(error: BaseException) -> bool:
    """Whether waiting and sending again could succeed."""
    if isinstance(error, AnymailAPIError):
        if error.status_code is None:
            return isinstance(error.__cause__, RequestException | OSError)
        return error.status_code >= 500 or error.status_code in (408, 429)
    if isinstance(error, AnymailError):
        return False  # invalid address, recipients refused, unsupported feature...
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(
        error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | OSError
    )
