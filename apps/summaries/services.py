"""The summaries app's actions: a summarization request (`summary_request`) and uploads.

A short text is summarized at once and sold in one transaction (`_summarize_now`); a queued
request's steps, from charge to outcome, are in `lifecycle.py`; the sweep that queues again
what the broker lost is in `requeue.py`.
"""

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.billing.exceptions import QuotaExceededError
from apps.billing.services import usage_charge, usage_refusal_alert
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
from .uploads import document_delete, document_upload, upload_check

logger = logging.getLogger(__name__)
Status = SummarizationRequest.Status

__all__ = [
    "document_delete",
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
    raised. Call it outside any transaction: the charge and its row commit on their own (a
    short text: with its summary, one commit).
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
    if document is None and len(text) <= settings.SUMMARY_SYNC_MAX_CHARS:
        return _summarize_now(organization=organization, user=user, mode=mode, text=text)
    request = summarization_request_create(
        organization=organization,
        user=user,
        mode=mode,
        text=text,
        document=document,
        keep_text=True,
    )
    summarization_request_enqueue(request=request)
    return request


def _summarize_now(
    *, organization: Organization, user: User | None, mode: str, text: str
) -> SummarizationRequest:
    """A short text: summarized first, outside any transaction (no row lock nor open
    transaction while the engine runs, which for a hosted model takes seconds), then its
    completed row and its charge in one transaction: one commit, nothing to claim, nothing
    to refund. The row is inserted before the charge so that the month's usage row stays
    locked only from the charge to the commit.

    Over the quota nothing is stored nor charged (the summary is dropped: a refusal costs
    one short summary) and the 100 % alert goes out. An engine that fails leaves the
    request `failed` with its reason, uncharged, as a queued one would end.
    """
    now = timezone.now()
    request = SummarizationRequest(
        organization=organization,
        user=user,
        mode=mode,
        input_characters=len(text),
        created_at=now,
        started_at=now,
    )
    try:
        summary = summarizer().summarize(text=text, mode=mode)
    except Exception as error:  # the engine failed: the customer is not charged for it
        logger.exception("summarizer failed on a short text of %s characters", len(text))
        request.status, request.completed_at = Status.FAILED, timezone.now()
        request.error = f"The summarizer failed: {type(error).__name__}."
        request.save(force_insert=True)
        return request
    _keep_summary(request, scrub_text(summary))
    try:
        with transaction.atomic(durable=True):
            request.save(force_insert=True)
            usage_charge(organization=organization, characters=len(text))
    except BaseException as error:
        if request.summary_file:  # stored before the transaction: nothing points at it now
            request.summary_file.storage.delete(request.summary_file.name)
        if isinstance(error, QuotaExceededError):
            usage_refusal_alert(organization=organization)
        raise
    return request


def _keep_summary(request: SummarizationRequest, summary: str) -> None:
    """Complete an unsaved request with its summary: in the row when short, else in storage
    under a name of its own (the row has no id yet)."""
    request.status, request.completed_at = Status.COMPLETED, timezone.now()
    request.output_characters = len(summary)
    if len(summary) <= settings.SUMMARY_INLINE_MAX_CHARS:
        request.summary = summary
        return
    name = f"{uuid.uuid4().hex}.txt"
    request.summary_file.save(name, ContentFile(summary.encode()), save=False)
