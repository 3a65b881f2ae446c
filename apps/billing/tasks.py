from apps.jobs.periodic import JobRun, periodic_job

from .periodic import quota_alerts_sweep
from .quota_reset import usage_month_open
from .services.lifecycle import renewal_reminders_send, subscriptions_renew


@periodic_job(name="quota_reset", schedule="0 0 1 * *", period="month")
def usage_month_open_task(run: JobRun) -> dict:
    """Close last month's usage records and open the new month's at zero."""
    return usage_month_open(month=run.period.start.date(), progress=run.progress)


@periodic_job(name="subscription_renewals", schedule="15 * * * *", period="hour")
def subscriptions_renew_task(run: JobRun) -> dict:
    """Renew subscriptions whose period ended (invoice, usage month) or end them (to Free)."""
    return subscriptions_renew(progress=run.progress)


@periodic_job(name="renewal_reminders", schedule="0 7 * * *", period="day")
def renewal_reminders_send_task(run: JobRun) -> dict:
    """Remind owners of every paid renewal in the next 7 days (once per renewal)."""
    return renewal_reminders_send(day_start=run.period.start.date())


@periodic_job(name="quota_sweep", schedule="10 * * * *", period="hour")
def quota_alerts_sweep_task(run: JobRun) -> dict:
    """Send any 80 % / 100 % quota alert the inline path missed this month."""
    return quota_alerts_sweep(month=run.period.start.date().replace(day=1))
