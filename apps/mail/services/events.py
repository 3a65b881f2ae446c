"""Provider events (anymail's normalized tracking events) and the suppression list."""

import datetime as dt
import hashlib
import json
import math

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from apps.text_input import scrub_text

from ..models import EmailEvent, OutboundEmail, Suppression
from ..secrets import MASK


def suppression_add(
    *, address: str, reason: str, source_event: EmailEvent | None = None, note: str = ""
) -> Suppression:
    suppression, _ = Suppression.objects.get_or_create(
        address=address.strip().lower(),
        defaults={"reason": reason, "source_event": source_event, "note": note},
    )
    return suppression


def suppression_remove(*, address: str) -> bool:
    """Allow an address to be emailed again; False when it was not suppressed."""
    deleted, _ = Suppression.objects.filter(address__iexact=address.strip()).delete()
    return bool(deleted)


HARD_BOUNCE_REASONS = {"bounced", "invalid", "blocked"}


def _fingerprint(event, esp_name: str) -> str:
    if event.event_id:
        basis = [esp_name, event.event_type, event.event_id]
    else:
        stamp = event.timestamp.isoformat() if isinstance(event.timestamp, dt.datetime) else ""
        basis = [
            esp_name,
            event.event_type,
            event.message_id,
            event.recipient,
            stamp,
            event.click_url,
        ]
    return hashlib.sha256(json.dumps(basis, default=str).encode()).hexdigest()


def _text(value, limit: int | None = None) -> str:
    """A provider value as text a column takes (`scrub_text`: no NUL, no lone surrogate), cut
    to the column's length."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    value = scrub_text(value)
    return value[:limit] if limit else value


def _storable(value):
    """A payload a JSON column takes: text scrubbed (keys too), no NaN or Infinity."""
    if isinstance(value, dict):
        return {_text(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return _text(value) if isinstance(value, str) else value


def _email_for(message_id: str, metadata) -> OutboundEmail | None:
    if message_id:
        email = OutboundEmail.objects.filter(message_id=message_id).first()
        if email:
            return email
    outbox_id = metadata.get("outbox_id") if isinstance(metadata, dict) else None
    if isinstance(outbox_id, str | int) and str(outbox_id).isdigit() and len(str(outbox_id)) < 19:
        return OutboundEmail.objects.filter(pk=int(outbox_id)).first()
    return None


def _is_hard_bounce(event, esp_name: str, payload: dict) -> bool:
    if event.event_type == "rejected":
        return event.reject_reason in {"invalid", "bounced"}
    if event.event_type != "bounced":
        return False
    if esp_name == "SendGrid":  # anymail gives its bounces no reason; "blocked" is temporary
        return _text(payload.get("type")) == "bounce"
    if event.reject_reason not in HARD_BOUNCE_REASONS:
        return False
    # Postmark reports soft bounces as bounces too; only its HardBounce is permanent.
    if esp_name == "Postmark":
        return _text(payload.get("Type")) in {"HardBounce", "BadEmailAddress"}
    declared = _declared_bounce_type(esp_name, payload)
    return declared is None or declared == "Permanent"


def _declared_bounce_type(esp_name: str, payload: dict) -> str | None:
    """SES's and Resend's own word on a bounce ("Permanent", "Transient", "Undetermined"):
    anymail calls them all bounced, but a full mailbox or a greylisting server bounces
    "Transient" and takes mail again later, so only "Permanent" suppresses."""
    if esp_name == "Amazon SES":
        bounce, key = payload.get("bounce"), "bounceType"
    elif esp_name == "Resend":
        data = payload.get("data")
        bounce, key = (data.get("bounce") if isinstance(data, dict) else None), "type"
    else:
        return None
    if not isinstance(bounce, dict) or key not in bounce:
        return None
    return _text(bounce[key])


def _scrubbed(value, secret: str):
    if isinstance(value, dict):
        return {key: _scrubbed(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, secret) for item in value]
    if isinstance(value, str) and secret in value:
        return value.replace(secret, MASK)
    return value


def _is_address(value: str) -> bool:
    if len(value) > 254:  # RFC 5321's limit, and the suppression column's
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@transaction.atomic
def tracking_event_record(*, event, esp_name: str) -> EmailEvent | None:
    """Store one normalized anymail event once; suppress hard bounces and complaints.

    Whatever the provider sent is stored: text scrubbed by `apps.text_input` (no NUL, lone
    surrogates replaced) and cut to its column, metadata of the wrong type ignored. Returns
    None when the same event was stored before (providers redeliver webhooks).
    """
    payload = _storable(event.esp_event) if isinstance(event.esp_event, dict) else {}
    message_id = _text(event.message_id, 255)
    email, click_url = _email_for(message_id, event.metadata), _text(event.click_url)
    if email is not None and email.secret_keys and click_url:
        # A click on a one-time link reports the link itself: keep neither copy of it.
        payload, click_url = _scrubbed(payload, click_url), MASK
    recipient = _text(event.recipient).strip()
    timestamp = event.timestamp if isinstance(event.timestamp, dt.datetime) else None
    try:
        with transaction.atomic():
            stored = EmailEvent.objects.create(
                email=email,
                esp_name=_text(esp_name, 50),
                event_type=_text(event.event_type, 30) or "unknown",
                event_id=_text(event.event_id, 255),
                message_id=message_id,
                recipient=recipient[:254],
                reject_reason=_text(event.reject_reason, 30),
                description=_text(event.description),
                mta_response=_text(event.mta_response),
                click_url=click_url,
                occurred_at=timestamp,
                payload=payload,
                fingerprint=_fingerprint(event, esp_name),
            )
    except IntegrityError:
        return None
    reason = None
    if _is_hard_bounce(event, esp_name, payload):
        reason = Suppression.Reason.BOUNCE
    elif event.event_type == "complained":
        reason = Suppression.Reason.COMPLAINT
    elif event.event_type == "unsubscribed":
        reason = Suppression.Reason.UNSUBSCRIBE
    if reason and _is_address(recipient):
        suppression_add(address=recipient, reason=reason, source_event=stored)
    return stored
