"""Thin huey wrappers around the mail services."""

from django.conf import settings
from huey.contrib.djhuey import db_task

from apps.jobs.periodic import JobRun, periodic_job

from . import services
from .exceptions import TransientDeliveryError
from .qa.tasks import spam_score_task  # noqa: F401  (the consumer runs the studio's spam score)
from .retention import email_log_prune


# The one retry policy: huey's. A transient error puts the row back to `queued` and the task
# raises; huey runs it again after a doubling delay, and only rows still queued are retried.
# When a transient error is final is the one rule of services/retries.py. Permanent errors are
# recorded on their row.
@db_task(
    retries=settings.MAIL_MAX_ATTEMPTS - 1,
    retry_delay=settings.MAIL_RETRY_DELAY,
    retry_backoff=2,
    context=True,
)
def email_deliver_task(email_ids: list[int] | int, task=None) -> dict:
    """Deliver a batch of outbox rows over one connection (an int: one row, as once queued)."""
    report = services.emails_deliver(
        email_ids=[email_ids] if isinstance(email_ids, int) else list(email_ids),
        claim_id=task.id if task else None,
        retry_in=task.retry_delay if task else None,
        last_try=services.is_last_try(retries_left=task.retries if task else 0),
    )
    if report.retry:
        raise TransientDeliveryError(f"{len(report.retry)} email(s) to retry: {report.retry[0]}")
    return report.outcomes


# Periodic jobs (declared through the jobs app: one run per period across all consumers).
@periodic_job(name="outbox_sweep", schedule="* * * * *", period="minute")
def outbox_sweep_task(run: JobRun) -> dict:
    """Re-enqueue outbox rows left queued (e.g. the broker was down); settle rows left sending
    by a delivery nothing else settled; wipe expired secrets."""
    return {
        "requeued": services.outbox_sweep(),
        "settled": services.emails_stale_sending_settle(
            older_than_seconds=settings.MAIL_SENDING_STALE_SECONDS
        ),
        "secrets_wiped": services.secrets_expire(),
    }


@periodic_job(name="email_log_retention", schedule="50 3 * * *", period="day")
def email_log_prune_task(run: JobRun) -> dict:
    """Delete send-log rows and provider events older than their retention settings."""
    return email_log_prune()
