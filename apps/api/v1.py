"""The customer JSON API, version 1: summaries, documents, usage."""

from django.db import transaction
from django.http import HttpRequest
from ninja import File, Path, Query, Router
from ninja.files import UploadedFile

from apps.billing.services import organization_plan, usage_record_for_month
from apps.summaries import services as summaries_services  # a view here is document_delete too
from apps.summaries.exceptions import DocumentUnreadableError
from apps.summaries.models import Document, SummarizationRequest
from apps.summaries.services import document_upload, summary_request

from .errors import ApiError
from .files import signed_file_url
from .schemas import MAX_ID, DocumentOut, ErrorOut, SummaryIn, SummaryOut, UsageOut

router = Router(tags=["v1"])
ERRORS = {code: ErrorOut for code in (400, 401, 402, 403, 404, 413, 415, 422, 429, 503)}
PK = Path(..., ge=1, le=MAX_ID)
REQUIRED_FILE = File(...)


def _note(request: HttpRequest, **fields) -> None:
    """What the interaction log records about this call, besides status and time."""
    request.api_interaction = {**getattr(request, "api_interaction", {}), **fields}


def _summary_out(item: SummarizationRequest) -> dict:
    url = None
    if item.summary_file:
        url = signed_file_url(
            name=item.summary_file.name,
            filename=f"summary-{item.pk}.txt",
            content_type="text/plain; charset=utf-8",
        )
    return {
        "id": item.pk,
        "status": item.status,
        "mode": item.mode,
        "input_characters": item.input_characters,
        "output_characters": item.output_characters,
        "summary": None if item.summary_file or item.status != "completed" else item.summary,
        "summary_url": url,
        "document_id": item.document_id,
        "error": item.error or None,
        "created_at": item.created_at,
        "completed_at": item.completed_at,
    }


def _document_out(document: Document) -> dict:
    url = signed_file_url(
        name=document.file.name,
        filename=document.original_name,
        content_type=document.content_type,
    )
    return {
        "id": document.pk,
        "name": document.original_name,
        "size": document.size,
        "content_type": document.content_type,
        "created_at": document.created_at,
        "download_url": url,
    }


def _document(request: HttpRequest, pk: int) -> Document:
    document = Document.objects.filter(pk=pk, organization=request.auth.organization).first()
    if document is None:
        raise ApiError(404, "not_found", f"There is no document {pk} in your organization.")
    return document


@router.post("/summaries", response={201: SummaryOut, 202: SummaryOut, **ERRORS})
def summary_create(request: HttpRequest, body: SummaryIn):
    """Summarize a text or an uploaded document. Short texts answer at once (201, completed);
    long texts and documents run as a task (202, pending): poll GET /summaries/{id}. A request
    is charged only once it can run: refused (4xx) or not queued (503 while the task queue is
    unavailable, with Retry-After), it is not charged."""
    _note(request, mode=body.mode)
    if (body.text is None) == (body.document_id is None):
        raise ApiError(422, "invalid_request", "Send either 'text' or 'document_id', not both.")
    document = _document(request, body.document_id) if body.document_id else None
    key = request.auth
    # Not in a transaction of ours: the charge commits with its row, before the task is queued.
    try:
        item = summary_request(
            organization=key.organization,
            user=key.created_by,
            mode=body.mode,
            text=body.text,
            document=document,
        )
    except DocumentUnreadableError:
        raise
    except ValueError as error:  # no text, too long
        raise ApiError(422, "invalid_request", str(error)) from error
    _note(request, input_characters=item.input_characters, output_characters=item.output_characters)
    queued = item.status in (
        SummarizationRequest.Status.PENDING,
        SummarizationRequest.Status.RUNNING,
    )
    return (202 if queued else 201), _summary_out(item)


@router.get("/summaries/{summary_id}", response={200: SummaryOut, **ERRORS})
def summary_read(request: HttpRequest, summary_id: int = PK):
    """A summary and its status."""
    item = SummarizationRequest.objects.filter(
        pk=summary_id, organization=request.auth.organization
    ).first()
    if item is None:
        raise ApiError(404, "not_found", f"There is no summary {summary_id} in your organization.")
    _note(request, mode=item.mode)
    return _summary_out(item)


@router.post("/documents", response={201: DocumentOut, **ERRORS})
def document_create(request: HttpRequest, file: UploadedFile = REQUIRED_FILE):
    """Upload a document (UTF-8 text, Markdown, HTML, PDF or Word .docx) to summarize later."""
    key = request.auth
    with transaction.atomic():
        document = document_upload(
            owner=key.created_by or key.organization.owner,
            organization=key.organization,
            uploaded_file=file,
        )
    return 201, _document_out(document)


@router.get("/documents", response={200: list[DocumentOut], **ERRORS})
def document_list(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    before_id: int | None = Query(None, ge=1, le=MAX_ID),
):
    """Your organization's documents, newest first; page with `before_id` (the last id seen)."""
    documents = Document.objects.filter(organization=request.auth.organization).order_by("-id")
    if before_id:
        documents = documents.filter(id__lt=before_id)
    return [_document_out(d) for d in documents[:limit]]


@router.get("/documents/{document_id}", response={200: DocumentOut, **ERRORS})
def document_read(request: HttpRequest, document_id: int = PK):
    """One document, with a signed download link valid for an hour."""
    return _document_out(_document(request, document_id))


@router.delete("/documents/{document_id}", response={204: None, **ERRORS})
def document_delete(request: HttpRequest, document_id: int = PK):
    """Delete a document and its file (summaries made from it stay)."""
    summaries_services.document_delete(document=_document(request, document_id))
    return 204, None


@router.get("/usage", response={200: UsageOut, **ERRORS})
def usage_read(request: HttpRequest):
    """This month's characters: used, limit, remaining."""
    organization = request.auth.organization
    record = usage_record_for_month(organization=organization)
    return {
        "month": record.period_start,
        "plan": organization_plan(organization=organization).name,
        "characters_used": record.characters_used,
        "characters_limit": record.characters_limit,
        "remaining": record.remaining,
        "percent_used": record.percent_used,
    }
