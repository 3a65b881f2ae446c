from apps.jobs.periodic import JobRun, periodic_job

from .sessions import sessions_expired_delete


@periodic_job(name="session_cleanup", schedule="0 3 * * *", period="day")
def sessions_expired_delete_task(run: JobRun) -> dict:
    """Delete expired login sessions (db and cached_db)."""
    return {"deleted": sessions_expired_delete(progress=lambda n: run.progress(n))}
