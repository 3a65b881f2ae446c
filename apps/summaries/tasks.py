import datetime as dt

from django.conf import settings
from huey.contrib.djhuey import db_task

from apps.billing.periodic import usage_reports_send
from apps.jobs.periodic import JobRun, periodic_job

from .archive import summarization_requests_archive
from .lifecycle import summarization_request_execute
from .requeue import summarization_requests_requeue
from .selectors import usage_by_mode
from .uploads import document_orphans_delete


# Idempotent: the task claims its row first (pending -> running, one conditional UPDATE), so a
# copy enqueued again (the reaper after a dead consumer, the reconciliation after a broker
# restart, the requeue sweep) runs the request at most once; the loser does nothing.
@db_task(retries=3, retry_delay=10, idempotent=True, context=True)
def summarization_request_process_task(request_id: int, text: str | None = None, task=None) -> dict:
    """Summarize a queued request. Its text is in the row, not in the arguments (`text` is
    read only from tasks queued before it moved there)."""
    status = summarization_request_execute(
        request_id=request_id,
        task_id=task.id if task else "",
        text=text,
        last_try=task is None or task.retries <= 0,
    )
    return {"request": request_id, "status": status}  # not the summary: results stay small


@periodic_job(name="summaries_requeue", schedule="*/5 * * * *", period="minute")
def summarization_requests_requeue_task(run: JobRun) -> dict:
    """Queue again the pending summaries whose task is nowhere (the broker lost it, or the web
    process died before queueing it); fail and refund those that cannot go on."""
    return summarization_requests_requeue()


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


# Billing writes and sends the usage reports; their lines by mode are our requests, and billing
# imports no app above it, so the job is declared here, one layer up, and hands it our figures.
@periodic_job(name="usage_reports", schedule="0 9 1 * *", period="month", covers=-1)
def usage_reports_send_task(run: JobRun) -> dict:
    """Write last month's usage CSV per organization and email each owner a download link."""
    return usage_reports_send(
        month=run.period.start.date(), mode_figures=usage_by_mode, progress=run.progress
    )
