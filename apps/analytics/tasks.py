from apps.jobs.periodic import JobRun, periodic_job

from .digest import daily_digests_send
from .models import DailyRollup, HourlyRollup
from .services import interaction_logs_prune, interactions_roll_up


# The roll-ups are atomic: one period's rows, written whole or not at all, so a run that wakes
# up after its period was taken over leaves nothing behind.
@periodic_job(name="analytics_hourly", schedule="5 * * * *", period="hour", covers=-1, atomic=True)
def interactions_roll_up_hourly_task(run: JobRun) -> dict:
    """Roll up the previous hour's API calls by organization and mode."""
    rows = interactions_roll_up(model=HourlyRollup, start=run.period.start, end=run.period.end)
    return {"rows": rows}


@periodic_job(name="analytics_daily", schedule="0 2 * * *", period="day", covers=-1, atomic=True)
def interactions_roll_up_daily_task(run: JobRun) -> dict:
    """Roll up yesterday's API calls by organization and mode."""
    rows = interactions_roll_up(model=DailyRollup, start=run.period.start, end=run.period.end)
    return {"rows": rows}


@periodic_job(name="analytics_retention", schedule="40 3 * * *", period="day")
def interaction_logs_prune_task(run: JobRun) -> dict:
    """Delete raw interaction logs older than ANALYTICS_RAW_RETENTION_DAYS."""
    return {"deleted": interaction_logs_prune()}


@periodic_job(name="daily_digest", schedule="0 8 * * *", period="day", covers=-1)
def daily_digests_send_task(run: JobRun) -> dict:
    """Email yesterday's figures to the members of every active organization."""
    return daily_digests_send(day=run.period.start.date())
