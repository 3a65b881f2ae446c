from huey.contrib.djhuey import db_task

from apps.jobs.periodic import JobRun, periodic_job

from .anonymous import password_reset_send, signup_process
from .services import verification_email_resend
from .sessions import sessions_expired_delete


@periodic_job(name="session_cleanup", schedule="0 3 * * *", period="day")
def sessions_expired_delete_task(run: JobRun) -> dict:
    """Delete expired login sessions (db and cached_db)."""
    return {"deleted": sessions_expired_delete(progress=lambda n: run.progress(n))}


# The public forms' work, done here so that their answer cannot tell who has an account
# (apps/accounts/anonymous.py). Both may run twice and still send each email once.
@db_task(retries=3, retry_delay=10, idempotent=True)
def password_reset_send_task(email: str, request_id: str) -> int:
    return password_reset_send(email=email, request_id=request_id)


@db_task(retries=3, retry_delay=10, idempotent=True)
def signup_process_task(
    email: str, password_hash: str, organization_name: str, language: str
) -> str:
    return signup_process(
        email=email,
        password_hash=password_hash,
        organization_name=organization_name,
        language=language,
    )


@db_task(retries=3, retry_delay=10, idempotent=True)
def verification_email_resend_task(email: str, request_id: str) -> bool:
    return verification_email_resend(email=email, request_id=request_id)
