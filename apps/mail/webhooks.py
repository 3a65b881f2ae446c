"""Provider tracking webhooks: anymail's views, hardened against hostile bodies.

The one module that reaches into anymail's webhook views. anymail `json.loads` the body and
indexes into it, so a malformed or oddly shaped body raises inside the view (a 500). Each route
here first refuses a body over MAIL_WEBHOOK_MAX_BYTES (413, before reading it) and one that is
not JSON of the provider's documented shape (400); anymail then checks basic auth and the
provider's signature on the untouched body; each provider event is cleaned before anymail
normalizes it (text that cannot be stored scrubbed by `apps.text_input`: NULs removed, lone
surrogates, which JSON allows and PostgreSQL refuses, replaced by U+FFFD; metadata of the wrong
type emptied), an event anymail still cannot read is refused (400), and the events of one body
are stored all or nothing. A provider's event is cleaned rather than refused: a refused bounce
would be retried for days and never suppress the address.
"""

import json
import logging
from functools import wraps

from anymail.exceptions import AnymailError
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from apps.text_input import scrub_text

logger = logging.getLogger(__name__)
MAX_DEPTH = 32  # providers' payloads nest a few levels; deeper is not one of theirs
# What anymail's parsers raise on a payload that is JSON but not shaped as documented.
UNREADABLE = (
    AnymailError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    RecursionError,
)
# Keys holding the sender's metadata, which anymail expects to be an object.
METADATA_KEYS = {"Metadata", "user-variables"}


class UnusablePayload(ValueError):
    """The body is not a webhook payload we can read."""


def depth(value) -> int:
    """How deeply a parsed JSON value nests (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def clean(value, key: str = ""):
    """A copy whose text can be stored (`scrub_text`), with metadata not an object emptied."""
    if key in METADATA_KEYS and not isinstance(value, dict):
        return {}
    if isinstance(value, dict):
        return {clean(k): clean(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def read_json(body: bytes, *, top_level: type):
    """The parsed body, or `UnusablePayload` saying why it is not a webhook payload."""
    if not body.strip():
        raise UnusablePayload("The body is empty.")
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UnusablePayload("The body is not JSON.") from error
    if not isinstance(payload, top_level) or not payload:
        raise UnusablePayload(f"The body must be a non-empty JSON {top_level.__name__}.")
    if depth(payload) > MAX_DEPTH:
        raise UnusablePayload("The body nests too deeply.")
    return payload


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN and Infinity; JSON does not


class HardenedTrackingMixin:
    """Size and shape checks before anymail's, cleaned events, all-or-nothing storage."""

    top_level: type = dict

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return HttpResponseBadRequest("Invalid Content-Length.")
            if length > settings.MAIL_WEBHOOK_MAX_BYTES:
                return HttpResponse("The body is too large.", status=413)
            try:
                self.check_shape(read_json(request.body, top_level=self.top_level))
            except UnusablePayload as error:
                return HttpResponseBadRequest(str(error))
        return super().dispatch(request, *args, **kwargs)

    def check_shape(self, payload) -> None:
        """Refuse a payload the provider would never send (beyond its top-level type)."""

    def post(self, request, *args, **kwargs):
        try:
            # Basic auth and signatures, on the body as received; then the events.
            self.run_validators(request)
            events = self.parse_events(request)
        except UNREADABLE as error:
            logger.warning("%s webhook: unreadable payload: %r", self.esp_name, error)
            return HttpResponseBadRequest("The payload is not shaped like this provider's.")
        with transaction.atomic():
            for event in events:
                self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
        return HttpResponse()

    def esp_to_anymail_event(self, esp_event, *args):
        return super().esp_to_anymail_event(clean(esp_event), *args)


class PostmarkTracking(HardenedTrackingMixin, PostmarkTrackingWebhookView):
    pass


class ResendTracking(HardenedTrackingMixin, ResendTrackingWebhookView):
    pass


class MailgunTracking(HardenedTrackingMixin, MailgunTrackingWebhookView):
    def check_shape(self, payload) -> None:
        # Only Mailgun's JSON webhooks (2018 on): a signature block and the event's data.
        if not isinstance(payload.get("signature"), dict) or not all(
            isinstance(payload["signature"].get(k), str | int)
            for k in ("timestamp", "token", "signature")
        ):
            raise UnusablePayload("Mailgun payloads carry a signature block.")
        if not isinstance(payload.get("event-data"), dict):
            raise UnusablePayload("Mailgun payloads carry an event-data object.")


class SendGridTracking(HardenedTrackingMixin, SendGridTrackingWebhookView):
    """SendGrid posts a batch: readable events are kept even if one in it is not."""

    top_level = list

    def check_shape(self, payload) -> None:
        if not all(isinstance(event, dict) for event in payload):
            raise UnusablePayload("SendGrid posts an array of event objects.")

    def parse_events(self, request):
        events = []
        for esp_event in json.loads(request.body):
            try:
                events.append(self.esp_to_anymail_event(esp_event))
            except UNREADABLE as error:
                logger.warning("SendGrid webhook: skipped an unreadable event: %r", error)
        if not events:
            raise UnusablePayload("No event in the batch is readable.")
        return events


class AmazonSESTracking(HardenedTrackingMixin, AmazonSESTrackingWebhookView):
    def esp_to_anymail_events(self, ses_event, sns_message):
        if not isinstance(ses_event, dict):
            raise UnusablePayload("The SNS Message is not an SES event object.")
        return super().esp_to_anymail_events(clean(ses_event), clean(sns_message))

    def auto_confirm_sns_subscription(self, sns_message):
        try:
            super().auto_confirm_sns_subscription(sns_message)
        except AnymailError:
            raise
        except Exception as error:  # boto3/botocore: AWS could not be reached or refused
            raise ConfirmationFailed(str(error)) from error

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ConfirmationFailed as error:
            logger.error("Amazon SES: could not confirm the SNS subscription: %s", error)
            return HttpResponse("Could not confirm the SNS subscription.", status=502)


class ConfirmationFailed(Exception):
    """Confirming an SNS subscription with AWS failed (AWS unreachable or refusing)."""


def _guarded(view_class):
    """The routed view: a machine route, marked CSRF-exempt here, where the URLconf sees it.

    Providers post without a cookie; basic auth and their signatures authenticate them.
    anymail marks its own `dispatch` exempt, and `as_view` copies marks from `dispatch` only,
    so a subclass overriding `dispatch` (as the hardened mixin does) silently lost the mark and
    every real provider POST answered 403 "CSRF cookie not set". The mark is therefore set on
    the callable the URLconf routes, whatever the class hierarchy does.
    """
    view = view_class.as_view()

    @csrf_exempt
    @login_not_required
    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as error:  # e.g. Mailgun without its signing key
            logger.warning("%s webhook called but not configured: %s", view_class.esp_name, error)
            return HttpResponse("This provider's webhook is not configured.", status=404)

    return guarded


PROVIDERS = {
    "postmark": PostmarkTracking,
    "resend": ResendTracking,
    "sendgrid": SendGridTracking,
    "mailgun": MailgunTracking,
    "amazon_ses": AmazonSESTracking,
}
urlpatterns = [
    path(f"{name}/tracking/", _guarded(view), name=f"{name}_tracking_webhook")
    for name, view in PROVIDERS.items()
]
