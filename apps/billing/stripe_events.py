"""The one module that knows the `stripe` package: a webhook body in, a verified event out.

The signature is checked by the package's own `WebhookSignature.verify_header` (what
`stripe.Webhook.construct_event` calls first), with its default five-minute tolerance for old
timestamps. We then parse the JSON ourselves into plain data rather than let
`construct_event` build `StripeObject`s: on a (signed) non-object body it raises an
`AttributeError`, on deep nesting a `RecursionError`, and we want each of those to be a clear
400, never a 500.
"""

import json

import stripe
from django.conf import settings

from .exceptions import WebhookError

TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE


class WebhookNotConfiguredError(WebhookError):
    """STRIPE_WEBHOOK_SECRET is not set (possible with DEBUG on only): nothing can be trusted."""

    status = 503


def stripe_event_parse(*, payload: bytes, signature: str | None) -> dict:
    """The event of a body Stripe signed, as plain data; `WebhookError` (400) otherwise."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookNotConfiguredError(
            "STRIPE_WEBHOOK_SECRET is not set, so no Stripe event can be verified."
        )
    if not payload:
        raise WebhookError("The body is empty; Stripe sends the event as JSON.")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise WebhookError(f"Signature refused: {error.user_message or error}") from error
    except ValueError as error:  # not UTF-8: it cannot be what Stripe signed
        raise WebhookError("The body is not UTF-8 text.") from error
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise WebhookError("The body is not valid JSON (or is nested too deeply).") from error
    if not isinstance(event, dict):
        raise WebhookError("The body is JSON but not an object; a Stripe event is an object.")
    return event
