from apps.jobs.periodic import JobRun, periodic_job

from .alerts import alerts_check


@periodic_job(name="ops_alerts", schedule="*/5 * * * *", period="minute")
def ops_alerts_task(run: JobRun) -> dict:
    """Email the ops staff about lost runs, failed or unknown emails, a stuck queue, no live
    consumer and periodic jobs that missed or failed their period (once per subject and hour)."""
    return {"alerted": alerts_check()}
