import logging

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .exceptions import WebhookError
from .periodic import report_path_from_token
from .services.payments import stripe_event_apply
from .stripe_events import stripe_event_parse

logger = logging.getLogger(__name__)


@require_GET
def usage_report_download(request, token: str):
    """Serve a usage report to whoever holds its signed link (S3: a short presigned URL)."""
    try:
        path = report_path_from_token(token)
    except signing.SignatureExpired as exc:
        raise Http404("This download link has expired; ask for the report again.") from exc
    except signing.BadSignature as exc:
        raise Http404("This download link is not valid.") from exc
    if not isinstance(path, str) or not path.strip("/") or not default_storage.exists(path):
        raise Http404("This report no longer exists.")
    if settings.AWS_STORAGE_BUCKET_NAME:
        return HttpResponseRedirect(default_storage.url(path))
    try:  # a path that names a directory is no report either (not a 500)
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise Http404("This report no longer exists.") from exc
    return FileResponse(handle, as_attachment=True, filename=path.rsplit("/", 1)[-1])


# Stripe's events are a few kilobytes; anything this big is not one, and is refused unread.
STRIPE_WEBHOOK_MAX_BYTES = 256 * 1024


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's payment events (`invoice.paid`, `invoice.payment_failed`), signature checked.

    200 once an event is applied, replayed or deliberately ignored; 400 for a bad signature or
    a malformed body; 413 for an oversized one (before reading it).
    """
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > STRIPE_WEBHOOK_MAX_BYTES:
        return _webhook_answer(413, "too_large", "The body is larger than a Stripe event can be.")
    try:
        event = stripe_event_parse(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        record = stripe_event_apply(event=event)
    except WebhookError as error:
        logger.warning("stripe webhook refused: %s", error)
        return _webhook_answer(error.status, "refused", str(error))
    if record is None:
        return _webhook_answer(200, "not_handled", "This event type is not used here.")
    state = "replayed" if record.replayed else record.outcome
    return _webhook_answer(200, state, record.detail)


def _webhook_answer(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"status": code, "message": message}, status=status)
