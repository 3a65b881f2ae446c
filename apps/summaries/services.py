"""The summaries app's actions: a summarization request (`summary_request`) and uploads.

A request's steps, from charge to outcome, are in `lifecycle.py`; the sweep that queues again
what the broker lost is in `requeue.py`.
"""

from django.conf import settings

from apps.accounts.models import Organization, User
from apps.text_input import is_poisoned, poison_message, scrub_text

from .extract import document_text
from .lifecycle import (
    summarization_request_claim,
    summarization_request_create,
    summarization_request_enqueue,
    summarization_request_run,
    summary_store,
)
from .models import Document, SummarizationRequest
from .summarizers import summarizer
from .uploads import document_upload, upload_check

__all__ = [
    "document_upload",
    "summarization_request_create",
    "summarization_request_process",
    "summarize_text",
    "summary_request",
    "summary_store",
    "upload_check",
]


def summarize_text(*, text: str, mode: str) -> str:
    """Summarize with the engine settings.SUMMARIZER names."""
    SummarizationRequest.Mode(mode)
    return summarizer().summarize(text=text, mode=mode)


def summarization_request_process(*, request: SummarizationRequest, text: str) -> str:
    """Claim a pending request and summarize it here; "" when it was not pending (a second
    run changes nothing) or the engine failed (then it is `failed` and refunded)."""
    claimed = summarization_request_claim(request_id=request.pk)
    if claimed is None:
        return ""
    summary = summarization_request_run(request=claimed, text=text)
    request.refresh_from_db()
    return summary


def summary_request(
    *,
    organization: Organization,
    user: User | None,
    mode: str,
    text: str | None = None,
    document: Document | None = None,
) -> SummarizationRequest:
    """Charge and summarize a text or a stored document: at once when short, else as a task.

    Refused with nothing stored or charged: ValueError (unknown mode, no text, too long, a NUL
    or an unpaired surrogate in the text), QuotaExceededError, DocumentUnreadableError. A
    request the broker does not take ends `failed` and refunded, and QueueUnavailableError is
    raised. Call it outside any transaction: the charge and its row commit on their own.
    """
    SummarizationRequest.Mode(mode)
    if document is not None:
        # The customer's own file: its text is cleaned rather than refused.
        text = scrub_text(document_text(document=document))
    text = text or ""
    if is_poisoned(text):  # the API refuses it at its edge; this guards every other caller
        raise ValueError(poison_message("text"))
    if not text.strip():
        raise ValueError("There is no text to summarize.")
    if len(text) > settings.SUMMARY_MAX_INPUT_CHARS:
        raise ValueError(
            f"The text has {len(text):,} characters; the most one request takes is "
            f"{settings.SUMMARY_MAX_INPUT_CHARS:,}. Split it."
        )
    queued = document is not None or len(text) > settings.SUMMARY_SYNC_MAX_CHARS
    request = summarization_request_create(
        organization=organization,
        user=user,
        mode=mode,
        text=text,
        document=document,
        keep_text=queued,
    )
    if queued:
        summarization_request_enqueue(request=request)
    else:
        summarization_request_process(request=request, text=text)
    return request
