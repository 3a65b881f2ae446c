from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.billing.services import usage_release, usage_reserve

from .exceptions import UploadRejectedError
from .models import Document, SummarizationRequest


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


def document_upload(
    *, owner: User, uploaded_file: UploadedFile, organization: Organization | None = None
) -> Document:
    """Check an upload's size and type, then store it privately in the default storage."""
    if uploaded_file.size > settings.MAX_UPLOAD_BYTES:
        raise UploadRejectedError(
            f"{uploaded_file.name} is {filesizeformat(uploaded_file.size)}; the limit is "
            f"{filesizeformat(settings.MAX_UPLOAD_BYTES)}. Split the document or compress it."
        )
    content_type = (uploaded_file.content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.ALLOWED_UPLOAD_TYPES:
        raise UploadRejectedError(
            f"{uploaded_file.name} is of type {content_type or 'unknown'}; accepted types are "
            f"{', '.join(sorted(settings.ALLOWED_UPLOAD_TYPES))}."
        )
    document = Document(
        owner=owner,
        organization=organization,
        original_name=uploaded_file.name[:255],
        size=uploaded_file.size,
        content_type=content_type,
    )
    document.file.save(uploaded_file.name, uploaded_file, save=False)
    document.save()
    return document


def summarize_text(*, text: str, mode: str) -> str:
    """A small extractive summarizer standing in for the model: leading sentences, by mode."""
    sentences = [s.strip() for s in text.replace("\n", " ").split(".") if s.strip()]
    count = {"brief": 1, "detailed": 5, "bullet_points": 3, "executive": 2}[mode]
    picked = sentences[:count]
    if mode == SummarizationRequest.Mode.BULLET_POINTS:
        return "\n".join(f"• {s}." for s in picked)
    return " ".join(f"{s}." for s in picked)


def summarization_request_process(*, request: SummarizationRequest, text: str) -> str:
    """Summarize the text of a pending request and record the outcome."""
    if request.status != SummarizationRequest.Status.PENDING:
        return ""  # already processed: a retried task changes nothing
    summary = summarize_text(text=text, mode=request.mode)
    summarization_request_complete(request=request, output_characters=len(summary))
    return summary
