import datetime as dt

from django.conf import settings
from huey.contrib.djhuey import db_task

from apps.jobs.periodic import JobRun, periodic_job

from .archive import summarization_requests_archive
from .models import SummarizationRequest
from .services import summarization_request_process


@db_task(retries=3, retry_delay=10, idempotent=True)
def summarization_request_process_task(request_id: int, text: str) -> str:
    request = SummarizationRequest.objects.get(pk=request_id)
    return summarization_request_process(request=request, text=text)


@periodic_job(name="summaries_archive", schedule="0 4 * * 0", period="week")
def summarization_requests_archive_task(run: JobRun) -> dict:
    """Move requests older than SUMMARIES_ARCHIVE_AFTER_DAYS to gzip JSON lines in storage."""
    before = run.period.start - dt.timedelta(days=settings.SUMMARIES_ARCHIVE_AFTER_DAYS)
    return summarization_requests_archive(
        before=before, progress=lambda done, total: run.progress(done, total)
    )
