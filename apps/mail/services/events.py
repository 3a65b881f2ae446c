"""Provider events (anymail's normalized tracking events) and the suppression list."""

import hashlib
import json

from django.db import IntegrityError, transaction

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
        stamp = event.timestamp.isoformat() if event.timestamp else ""
        basis = [esp_name, event.event_type, event.message_id, event.recipient, stamp,
                 event.click_url]  # fmt: skip
    return hashlib.sha256(json.dumps(basis, default=str).encode()).hexdigest()


def _email_for(event) -> OutboundEmail | None:
    if event.message_id:
        email = OutboundEmail.objects.filter(message_id=str(event.message_id)).first()
        if email:
            return email
    outbox_id = (event.metadata or {}).get("outbox_id")
    if str(outbox_id or "").isdigit():
        return OutboundEmail.objects.filter(pk=int(outbox_id)).first()
    return None


def _is_hard_bounce(event, esp_name: str) -> bool:
    if event.event_type == "rejected":
        return event.reject_reason in {"invalid", "bounced"}
    if event.event_type != "bounced" or event.reject_reason not in HARD_BOUNCE_REASONS:
        return False
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    # Postmark reports soft bounces as bounces too; only its HardBounce is permanent.
    return esp_name != "Postmark" or payload.get("Type") in {"HardBounce", "BadEmailAddress"}


def _scrubbed(value, secret: str):
    if isinstance(value, dict):
        return {key: _scrubbed(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, secret) for item in value]
    if isinstance(value, str) and secret in value:
        return value.replace(secret, MASK)
    return value


@transaction.atomic
def tracking_event_record(*, event, esp_name: str) -> EmailEvent | None:
    """Store one normalized anymail event once; suppress hard bounces and complaints.

    Returns None when the same event was stored before (providers redeliver webhooks).
    """
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    email, click_url = _email_for(event), event.click_url or ""
    if email is not None and email.secret_keys and click_url:
        # A click on a one-time link reports the link itself: keep neither copy of it.
        payload, click_url = _scrubbed(payload, click_url), MASK
    try:
        with transaction.atomic():
            stored = EmailEvent.objects.create(
                email=email,
                esp_name=esp_name,
                event_type=event.event_type or "unknown",
                event_id=event.event_id or "",
                message_id=str(event.message_id or ""),
                recipient=event.recipient or "",
                reject_reason=event.reject_reason or "",
                description=event.description or "",
                mta_response=event.mta_response or "",
                click_url=click_url,
                occurred_at=event.timestamp,
                payload=payload,
                fingerprint=_fingerprint(event, esp_name),
            )
    except IntegrityError:
        return None
    reason = None
    if _is_hard_bounce(event, esp_name):
        reason = Suppression.Reason.BOUNCE
    elif event.event_type == "complained":
        reason = Suppression.Reason.COMPLAINT
    elif event.event_type == "unsubscribed":
        reason = Suppression.Reason.UNSUBSCRIBE
    if reason and stored.recipient:
        suppression_add(address=stored.recipient, reason=reason, source_event=stored)
    return stored
