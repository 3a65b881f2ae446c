from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.billing.services import usage_release, usage_reserve

from .models import SummarizationRequest
from .uploads import document_upload, upload_check  # noqa: F401 (the one upload service)


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
