from apps.jobs.periodic import JobRun, periodic_job

from .alerts import late_jobs_alert


@periodic_job(name="ops_alerts", schedule="*/5 * * * *", period="minute")
def late_jobs_alert_task(run: JobRun) -> dict:
    """Email the ops staff about periodic jobs that missed or failed their last period."""
    return {"alerted": late_jobs_alert()}
