from django.core.management.base import CommandError

from apps.console.cli import OperatorCommand
from apps.console.services import operator_task_revoke
from apps.jobs.models import TaskRun


class Command(OperatorCommand):
    help = "Stop waiting (queued, scheduled or retrying) tasks from running; they show revoked."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("task_ids", nargs="+", help="huey task ids")

    def handle(self, *args, task_ids, **options):
        storable = [task_id for task_id in task_ids if "\x00" not in task_id]  # no NUL is stored
        runs = {run.task_id: run for run in TaskRun.objects.filter(task_id__in=storable)}
        missing = [task_id for task_id in task_ids if task_id not in runs]
        if missing:
            raise CommandError(
                f"No task run {', '.join(missing)}; `jobs_retry --search` finds ids."
            )
        for task_id in task_ids:
            operator_task_revoke(actor=self.actor, run=runs[task_id])
            self.stdout.write(f"revoked {task_id}: it will not run")
