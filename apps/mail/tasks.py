"""Thin huey wrappers around the mail services."""

from django.conf import settings
from huey.contrib.djhuey import db_task

from . import services


# Transient errors raise, and huey retries with a doubling delay (retry_backoff);
# permanent ones are recorded on the row and end the task.
@db_task(
    retries=settings.MAIL_MAX_ATTEMPTS - 1,
    retry_delay=settings.MAIL_RETRY_DELAY,
    retry_backoff=2,
)
def email_deliver_task(email_id: int) -> str:
    return services.email_deliver(email_id=email_id).status
