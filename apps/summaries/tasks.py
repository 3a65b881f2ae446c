import datetime as dt

from django.conf import settings
from huey.contrib.djhuey import db_task

from apps.jobs.periodic import JobRun, periodic_job

from .archive import summarization_requests_archive
from .models import SummarizationRequest
from .services import summarization_request_process
from .uploads import document_orphans_delete


@db_task(retries=3, retry_delay=10, idempotent=True)
def summarization_request_process_task(request_id: int, text: str) -> dict:
    request = SummarizationRequest.objects.get(pk=request_id)
    summarization_request_process(request=request, text=text)
    return {"request": request.pk, "status": request.status}  # not the summary: results stay small


@periodic_job(name="summaries_archive", schedule="0 4 * * 0", period="week")
def summarization_requests_archive_task(run: JobRun) -> dict:
    """Move requests older than SUMMARIES_ARCHIVE_AFTER_DAYS to gzip JSON lines in storage."""
    before = run.period.start - dt.timedelta(days=settings.SUMMARIES_ARCHIVE_AFTER_DAYS)
    return summarization_requests_archive(
        before=before, progress=lambda done, total: run.progress(done, total)
    )


@periodic_job(name="documents_orphans", schedule="30 4 * * *", period="day")
def document_orphans_delete_task(run: JobRun) -> dict:
    """Delete uploaded files no document row names (a crash between write and commit)."""
    return {"deleted": document_orphans_delete()}
