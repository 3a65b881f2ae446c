"""The QA's background work (registered with the consumer by apps/mail/tasks.py)."""

from huey.contrib.djhuey import db_task

from .background import spam_score_store


@db_task(idempotent=True)
def spam_score_task(digest: str) -> bool:
    """Score an email the studio is showing with SpamAssassin (about a second)."""
    return spam_score_store(digest=digest)
