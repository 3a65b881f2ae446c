import getpass

from django.core.management.base import BaseCommand, CommandError

from apps.jobs.exceptions import JobsError
from apps.jobs.models import TaskRun
from apps.jobs.services import task_run_retry


class Command(BaseCommand):
    help = "Enqueue a finished task run again with exactly the same arguments."

    def add_arguments(self, parser):
        parser.add_argument("run_id", help="the TaskRun id or its huey task id")
        parser.add_argument("--by", default=f"cli:{getpass.getuser()}")

    def handle(self, *args, run_id, by, **options):
        run = TaskRun.objects.filter(task_id=run_id).first()
        if run is None and run_id.isdigit():
            run = TaskRun.objects.filter(pk=int(run_id)).first()
        if run is None:
            raise CommandError(f"No task run {run_id!r}; the admin's Task runs page lists them.")
        try:
            copy = task_run_retry(run=run, requested_by=by)
        except JobsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"re-enqueued {run.short_name} {run.task_id} as {copy.task_id}")
