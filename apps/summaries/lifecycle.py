"""A summarization request from its charge to its outcome: charged only once it can run.

    short text (services._summarize_now): summarize ──> row `completed` + charge, one transaction
    long text or document: create: charge + row, one transaction ──> enqueue ──> task: claim, run
    cannot be queued (broker down) ──> failed, characters given back, QueueUnavailableError

Each step that ends a request is a conditional UPDATE on its status, so two copies of one task
(a re-enqueue after the broker lost it, a sweep) cannot both run or both refund it: the claim
takes a `pending` row for one task id (that task id may take its `running` row back: huey's
retry, or the reaper's re-run after its consumer died); completing needs the row still
`running` for that task; failing gives the characters back in the transaction that fails a row
still unfinished, so at most once.
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.billing.exceptions import QuotaExceededError
from apps.billing.services import usage_charge, usage_refusal_alert, usage_release
from apps.text_input import scrub_text

from .exceptions import QueueUnavailableError
from .models import Document, SummarizationRequest
from .summarizers import summarizer

logger = logging.getLogger(__name__)

Status = SummarizationRequest.Status
UNFINISHED = (Status.PENDING, Status.RUNNING)
QUEUE_DOWN = "The task queue was unavailable, so this request was not run and not charged."
TEXT_LOST = "The text of this request was lost before it ran; it was not charged."


def summarization_request_create(
    *,
    organization: Organization,
    user: User | None,
    mode: str,
    text: str,
    document: Document | None = None,
    keep_text: bool = False,
) -> SummarizationRequest:
    """Charge a text's characters to this month's quota and store its `pending` request, in
    one transaction of its own (`durable`): a charge never exists without its row.

    `keep_text` stores the text in the row, for a task to read (a queued request). Over the
    quota it raises `QuotaExceededError` with nothing charged nor stored, and the refusal's
    100 % alert goes out once the transaction is over.
    """
    SummarizationRequest.Mode(mode)  # ValueError on an unknown mode, before charging anything
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            usage_charge(organization=organization, characters=len(text))
            return SummarizationRequest.objects.create(
                organization=organization,
                user=user,
                mode=mode,
                input_characters=len(text),
                document=document,
                created_at=now,
                input_text=text if keep_text else "",
                queued_at=now if keep_text else None,
            )
    except QuotaExceededError:
        usage_refusal_alert(organization=organization)
        raise


def summarization_request_claim(
    *, request_id: int, task_id: str = ""
) -> SummarizationRequest | None:
    """Take a request to run it: `pending` -> `running` in one conditional UPDATE, so of two
    copies of its task only one runs it. A task takes back the `running` row it claimed
    itself (same task id). None when another task has it or it has ended."""
    may = Q(status=Status.PENDING)
    if task_id:
        may |= Q(status=Status.RUNNING, task_id=task_id)
    claimed = SummarizationRequest.objects.filter(may, pk=request_id).update(
        status=Status.RUNNING, task_id=task_id, started_at=timezone.now()
    )
    if not claimed:
        return None
    return SummarizationRequest.objects.select_related("organization").get(pk=request_id)


def summarization_request_run(*, request: SummarizationRequest, text: str) -> str:
    """Summarize a claimed request and record its outcome; the summary, or "" when the engine
    failed (the request is then `failed` and its characters given back)."""
    try:
        summary = summarizer().summarize(text=text, mode=request.mode)
    except Exception as error:  # the engine failed: the customer is not charged for it
        logger.exception("summarizer failed on request %s", request.pk)
        summarization_request_fail(
            request=request, reason=f"The summarizer failed: {type(error).__name__}."
        )
        return ""
    summary = scrub_text(summary)  # an engine's output is stored whatever characters it holds
    summary_store(request=request, summary=summary)
    request.status, request.output_characters = Status.COMPLETED, len(summary)
    request.completed_at = timezone.now()
    done = SummarizationRequest.objects.filter(
        pk=request.pk, status=Status.RUNNING, task_id=request.task_id
    ).update(
        status=Status.COMPLETED,
        output_characters=len(summary),
        completed_at=request.completed_at,
        summary=request.summary,
        summary_file=request.summary_file.name or "",
        input_text="",
    )
    if not done:  # ended meanwhile (failed and refunded by the sweep): that outcome stands
        if request.summary_file:
            request.summary_file.storage.delete(request.summary_file.name)
        request.refresh_from_db()
        return ""
    return summary


def summary_store(*, request: SummarizationRequest, summary: str) -> None:
    """Keep the summary in the row when short, else in storage with the row pointing at it."""
    if len(summary) <= settings.SUMMARY_INLINE_MAX_CHARS:
        request.summary = summary
        return
    request.summary = ""
    request.summary_file.save(f"{request.pk}.txt", ContentFile(summary.encode()), save=False)


def summarization_request_fail(*, request: SummarizationRequest, reason: str) -> bool:
    """End an unfinished request `failed` with its reason and give its characters back, in
    one transaction; False (nothing done) when it had already ended."""
    now = timezone.now()
    with transaction.atomic():
        failed = SummarizationRequest.objects.filter(pk=request.pk, status__in=UNFINISHED).update(
            status=Status.FAILED, error=reason[:200], completed_at=now, input_text=""
        )
        if failed:
            usage_release(
                organization=request.organization,
                characters=request.input_characters,
                month=request.created_at.date(),
            )
    if failed:
        request.status, request.error, request.completed_at = Status.FAILED, reason[:200], now
        request.input_text = ""
    return bool(failed)


def summarization_request_enqueue(*, request: SummarizationRequest) -> None:
    """Put a committed `pending` request in the queue. When the broker does not take it, the
    request ends `failed` with its characters given back and QueueUnavailableError is raised
    (the API answers 503 with Retry-After): nothing is left charged or pending."""
    from .tasks import summarization_request_process_task

    try:
        summarization_request_process_task(request.pk)
    except Exception as error:  # any failure to enqueue means nothing will run it
        logger.warning(
            "summary request %s not queued: %s: %s", request.pk, type(error).__name__, error
        )
        summarization_request_fail(request=request, reason=QUEUE_DOWN)
        raise QueueUnavailableError(
            "The task queue is unavailable for a moment, so this request was not accepted and "
            "not charged. Send it again shortly."
        ) from error


def summarization_request_execute(
    *, request_id: int, task_id: str, last_try: bool, text: str | None = None
) -> str:
    """What a queued request's task does: claim, run, record. Returns the row's status, or
    "skipped" when another copy of the task has it or it has ended. `text` is the argument of
    tasks queued before the text moved into the row. On the last try, an error that is not
    the engine's (storage, database) ends the request `failed` and refunded, then re-raises."""
    request = summarization_request_claim(request_id=request_id, task_id=task_id)
    if request is None:
        return "skipped"
    text = request.input_text or text or ""
    if not text:
        summarization_request_fail(request=request, reason=TEXT_LOST)
        return request.status
    try:
        summarization_request_run(request=request, text=text)
    except Exception as error:
        if last_try:
            summarization_request_fail(
                request=request, reason=f"The summary could not be stored: {type(error).__name__}."
            )
        raise
    return request.status
