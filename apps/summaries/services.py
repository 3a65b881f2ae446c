import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.billing.services import usage_release, usage_reserve

from .extract import document_text
from .models import Document, SummarizationRequest
from .summarizers import summarizer
from .uploads import document_upload, upload_check  # noqa: F401 (the one upload service)

logger = logging.getLogger(__name__)


def summarization_request_create(
    *, organization: Organization, user: User | None, mode: str, text: str
) -> SummarizationRequest:
    """Accept a text for summarizing and charge its characters to this month's quota.

    The charge is its own transaction (`usage_reserve`): over the quota it raises
    `QuotaExceededError` with nothing charged, and the refusal's 100 % alert still goes out.
    """
    SummarizationRequest.Mode(mode)  # ValueError on an unknown mode, before charging anything
    record = usage_reserve(organization=organization, characters=len(text))
    try:
        return SummarizationRequest.objects.create(
            organization=organization, user=user, mode=mode, input_characters=len(text)
        )
    except BaseException:
        usage_release(organization=organization, characters=len(text), month=record.period_start)
        raise


def summarization_request_complete(
    *, request: SummarizationRequest, output_characters: int, ok: bool = True
) -> SummarizationRequest:
    """Record the outcome of a summarization."""
    request.status = (
        SummarizationRequest.Status.COMPLETED if ok else SummarizationRequest.Status.FAILED
    )
    request.output_characters = output_characters
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "output_characters", "completed_at"])
    return request


def summarize_text(*, text: str, mode: str) -> str:
    """Summarize with the engine settings.SUMMARIZER names."""
    SummarizationRequest.Mode(mode)
    return summarizer().summarize(text=text, mode=mode)


def summary_store(*, request: SummarizationRequest, summary: str) -> None:
    """Keep the summary in the row when short, else in storage with the row pointing at it."""
    if len(summary) <= settings.SUMMARY_INLINE_MAX_CHARS:
        request.summary = summary
        return
    request.summary = ""
    request.summary_file.save(f"{request.pk}.txt", ContentFile(summary.encode()), save=False)


def summarization_request_process(*, request: SummarizationRequest, text: str) -> str:
    """Summarize the text of a pending request and record the outcome (once)."""
    if request.status != SummarizationRequest.Status.PENDING:
        return ""  # already processed: a retried task changes nothing
    try:
        summary = summarize_text(text=text, mode=request.mode)
    except Exception as error:  # the engine failed: the customer is not charged for it
        logger.exception("summarizer failed on request %s", request.pk)
        return _fail(request, f"The summarizer failed: {type(error).__name__}.")
    summary_store(request=request, summary=summary)
    request.status = SummarizationRequest.Status.COMPLETED
    request.output_characters = len(summary)
    request.completed_at = timezone.now()
    request.save(
        update_fields=["status", "output_characters", "completed_at", "summary", "summary_file"]
    )
    return summary


def _fail(request: SummarizationRequest, error: str) -> str:
    usage_release(
        organization=request.organization,
        characters=request.input_characters,
        month=request.created_at.date().replace(day=1),
    )
    request.status, request.error = SummarizationRequest.Status.FAILED, error[:200]
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "error", "completed_at"])
    return ""


def summary_request(
    *,
    organization: Organization,
    user: User | None,
    mode: str,
    text: str | None = None,
    document: Document | None = None,
) -> SummarizationRequest:
    """Charge and summarize a text or a stored document: at once when short, else as a task.

    Raises QuotaExceededError (nothing charged), DocumentUnreadableError or ValueError.
    """
    if document is not None:
        text = document_text(document=document)
    text = (text or "").replace("\x00", "")
    if not text.strip():
        raise ValueError("There is no text to summarize.")
    if len(text) > settings.SUMMARY_MAX_INPUT_CHARS:
        raise ValueError(
            f"The text has {len(text):,} characters; the most one request takes is "
            f"{settings.SUMMARY_MAX_INPUT_CHARS:,}. Split it."
        )
    request = summarization_request_create(
        organization=organization, user=user, mode=mode, text=text
    )
    if document is not None:
        request.document = document
        request.save(update_fields=["document"])
    if document is None and len(text) <= settings.SUMMARY_SYNC_MAX_CHARS:
        summarization_request_process(request=request, text=text)
        return request
    from .tasks import summarization_request_process_task

    transaction.on_commit(lambda: summarization_request_process_task(request.pk, text))
    return request
