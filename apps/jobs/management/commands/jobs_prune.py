from django.conf import settings
from django.core.management.base import BaseCommand

from apps.jobs.services import task_runs_prune


class Command(BaseCommand):
    help = "Delete finished task history older than the retention (JOBS_HISTORY_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.JOBS_HISTORY_RETENTION_DAYS)

    def handle(self, *args, days, **options):
        deleted = task_runs_prune(
            older_than_days=days, progress=lambda n: self.stdout.write(f"deleted {n:,} ...")
        )
        self.stdout.write(f"deleted {deleted:,} task runs older than {days} days")
