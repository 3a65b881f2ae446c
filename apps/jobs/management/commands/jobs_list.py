from django.core.management.base import BaseCommand

from apps.jobs.selectors import periodic_jobs_overview


class Command(BaseCommand):
    help = "List every periodic job: schedule (UTC), period, next run, last run and outcome."

    def handle(self, *args, **options):
        header = f"{'job':<22} {'schedule':<14} {'period':<7} {'next run (UTC)':<17} last run"
        self.stdout.write(header)
        for job in periodic_jobs_overview():
            last = job.last_run
            last_text = f"{last.period_key} {last.status} ({last.requested_by})" if last else "-"
            next_text = f"{job.next_run:%Y-%m-%d %H:%M}" if job.next_run else "-"
            paused = " [paused]" if job.paused else ""
            self.stdout.write(
                f"{job.name:<22} {job.schedule:<14} {job.period:<7} {next_text:<17} "
                f"{last_text}{paused}"
            )
