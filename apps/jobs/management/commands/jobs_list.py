from django.core.management.base import BaseCommand

from apps.jobs.selectors import schedules_overview


class Command(BaseCommand):
    help = "List every periodic job: schedule (UTC), period, next run, last run and outcome."

    def handle(self, *args, **options):
        header = f"{'job':<22} {'schedule':<14} {'period':<7} {'next run (UTC)':<17} last run"
        self.stdout.write(header)
        for job in schedules_overview():
            last = job.last_run
            last_text = f"{last.period_key} {last.status} ({last.requested_by})" if last else "-"
            flags = " [paused]" if job.paused else ""
            if job.problem:
                flags += (
                    f" [{'late' if job.problem == 'missed' else 'failed'}: {job.expected_period}]"
                )
            self.stdout.write(
                f"{job.name:<22} {job.crontab:<14} {job.period:<7} {job.next_run:%Y-%m-%d %H:%M} "
                f"{last_text}{flags}"
            )
