"""Thin huey wrappers around the mail services."""

from django.conf import settings
from huey.contrib.djhuey import db_task

from apps.jobs.periodic import JobRun, periodic_job

from . import services
from .retention import email_log_prune


# Transient errors raise, and huey retries with a doubling delay (retry_backoff);
# permanent ones are recorded on the row and end the task.
@db_task(
    retries=settings.MAIL_MAX_ATTEMPTS - 1,
    retry_delay=settings.MAIL_RETRY_DELAY,
    retry_backoff=2,
)
def email_deliver_task(email_id: int) -> str:
    return services.email_deliver(email_id=email_id).status


# Periodic jobs (declared through the jobs app: one run per period across all consumers).
@periodic_job(name="outbox_sweep", schedule="* * * * *", period="minute")
def outbox_sweep_task(run: JobRun) -> dict:
    """Re-enqueue outbox rows left queued (e.g. the broker was down); wipe expired secrets."""
    return {"requeued": services.outbox_sweep(), "secrets_wiped": services.secrets_expire()}


@periodic_job(name="email_log_retention", schedule="50 3 * * *", period="day")
def email_log_prune_task(run: JobRun) -> dict:
    """Delete send-log rows and provider events older than their retention settings."""
    return email_log_prune()
