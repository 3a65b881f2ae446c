"""Delivery: claim an outbox row, check suppressions and preferences, render and send it."""

import datetime as dt
import logging
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.db.models import F
from django.utils import timezone
from requests import RequestException

from ..exceptions import PermanentDeliveryError, TemplateNotFoundError, TransientDeliveryError
from ..message import OutboxMessage
from ..models import ESSENTIAL_CATEGORIES, DeliveryAttempt, OutboundEmail, Suppression
from ..secrets import SecretsUnreadableError, unseal
from ..selectors import preferences_for, template_active_version
from ..tokens import make_unsubscribe_token
from .personalize import render_for, unsubscribe_url

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status
Outcome = DeliveryAttempt.Outcome


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling each time."""
    return settings.MAIL_RETRY_DELAY * 2 ** (attempt - 1)


def email_deliver(*, email_id: int) -> OutboundEmail:
    """Send one outbox row if it is still queued; raise `TransientDeliveryError` to retry.

    The row is claimed with a conditional UPDATE (queued -> sending), so two workers running
    this for one row at once send it once: the loser's UPDATE matches nothing.
    """
    started = timezone.now()
    claimed = OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, updated_at=started
    )
    email = OutboundEmail.objects.get(pk=email_id)
    if not claimed:
        logger.info("email %s is %s; not sending it again", email_id, email.status)
        return email
    try:
        _deliver_claimed(email)
    except TransientDeliveryError as error:
        if email.attempts < settings.MAIL_MAX_ATTEMPTS:
            delay = retry_delay(email.attempts)
            _finish(email, started, Status.QUEUED, Outcome.RETRY, str(error),
                    next_attempt_at=timezone.now() + dt.timedelta(seconds=delay))  # fmt: skip
            raise
        _finish(email, started, Status.FAILED, Outcome.FAILED,
                f"gave up after {email.attempts} attempts: {error}")  # fmt: skip
    except PermanentDeliveryError as error:
        _finish(email, started, Status.FAILED, Outcome.FAILED, str(error))
    except _Stop as stop:
        _finish(email, started, stop.status, stop.outcome, stop.reason)
    except Exception as error:
        # A bug, not the provider: record it on the row instead of leaving it `sending`.
        logger.exception("email %s failed unexpectedly", email.pk)
        _finish(email, started, Status.FAILED, Outcome.FAILED, f"{type(error).__name__}: {error}")
    else:
        _finish(email, started, Status.SENT, Outcome.SENT, "", sent_at=timezone.now())
    return email


class _Stop(Exception):
    """Delivery ends without sending, for a reason that is not an error."""

    def __init__(self, status: str, outcome: str, reason: str):
        self.status, self.outcome, self.reason = status, outcome, reason
        super().__init__(reason)


# Secret values are kept only while a delivery may still need them.
_WIPE_SECRETS = {Status.SENT, Status.SUPPRESSED, Status.SKIPPED}


def _finish(email, started, status, outcome, error, **fields) -> None:
    if status in _WIPE_SECRETS:
        fields["sealed_secrets"] = ""
    for name, value in {"status": status, "last_error": error, **fields}.items():
        setattr(email, name, value)
    email.save()
    DeliveryAttempt.objects.create(
        email=email, number=email.attempts, outcome=outcome, error=error, started_at=started
    )
    log = logger.warning if outcome in (Outcome.RETRY, Outcome.FAILED) else logger.info
    log("email %s (%s to %s) attempt %s: %s %s", email.pk, email.template_key, email.to,
        email.attempts, outcome, error)  # fmt: skip


def _deliver_claimed(email: OutboundEmail) -> None:
    if Suppression.objects.filter(address__iexact=email.to).exists():
        raise _Stop(Status.SUPPRESSED, Outcome.SUPPRESSED, f"{email.to} is on the suppression list")
    try:
        version = email.version or template_active_version(key=email.template_key)
    except TemplateNotFoundError as error:
        raise PermanentDeliveryError(str(error)) from error
    email.version, email.category = version, version.category
    if _unsubscribed(email.to, version.category):
        raise _Stop(Status.SKIPPED, Outcome.SKIPPED,
                    f"{email.to} unsubscribed from {version.category} emails")  # fmt: skip
    context = {**email.context, **_secret_values(email)}
    rendered = render_for(version=version, address=email.to, context=context)
    email.subject = rendered.subject[:255]
    message = _message(email, rendered, version.category)
    email.provider, email.message_id = _send(message)


def _secret_values(email: OutboundEmail) -> dict[str, str]:
    if email.secret_keys and not email.sealed_secrets:
        raise PermanentDeliveryError(
            "its one-time link expired before it could be sent: the user must ask for a new one"
        )
    try:
        return unseal(email.sealed_secrets)
    except SecretsUnreadableError as error:
        raise PermanentDeliveryError(str(error)) from error


def _unsubscribed(address: str, category: str) -> bool:
    if category in ESSENTIAL_CATEGORIES:
        return False
    return preferences_for(address=address).get(category) is False


def _message(email: OutboundEmail, rendered, category: str) -> EmailMultiAlternatives:
    headers = {"X-Outbox-Id": str(email.pk)}
    if not _backend_path().startswith("anymail."):
        headers["Message-ID"] = make_msgid(
            domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1].strip(">")
        )
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
    message.tags = [email.template_key]
    if email.secret_keys:
        # A provider's click tracking would rewrite the one-time link and report it back in
        # its webhook events: such emails go untracked.
        message.track_clicks = False
    return message


def _backend_path() -> str:
    return settings.MAILERS["default"].get("BACKEND", "")


def _send(message: EmailMultiAlternatives) -> tuple[str, str]:
    """Send through the default mailer; return (provider, message id) or raise typed errors."""
    backend = mailers.default
    provider = getattr(backend, "esp_name", None) or type(backend).__module__.split(".")[-1]
    try:
        backend.send_messages([message])
    except Exception as error:
        kind = TransientDeliveryError if is_transient(error) else PermanentDeliveryError
        raise kind(f"{provider}: {type(error).__name__}: {error}") from error
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return provider, str(status.message_id)
    return provider, message.extra_headers.get("Message-ID", "")


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
