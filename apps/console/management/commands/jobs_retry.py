from django.conf import settings
from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime

from apps.console.cli import OperatorCommand
from apps.console.jobs.subjects import subject_kind
from apps.console.services import operator_task_retry, operator_task_subjects_retry
from apps.jobs.models import TaskRun
from apps.jobs.selectors import task_runs_matching
from apps.jobs.services import FINISHED

FILTERS = ("state", "task", "job", "queue", "consumer", "since", "until", "search")


class Command(OperatorCommand):
    help = (
        "Enqueue finished task runs again with exactly the same arguments: the given task ids "
        "at once, or every run matching the console's filters (listed first; --yes retries)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("task_ids", nargs="*", help="huey task ids")
        parser.add_argument("--state", help="e.g. error, lost, timeout")
        parser.add_argument("--task", help="the task's dotted name")
        parser.add_argument("--job", help="a periodic job's name")
        parser.add_argument("--queue")
        parser.add_argument("--consumer")
        parser.add_argument("--since", help="created at or after (ISO date-time, UTC)")
        parser.add_argument("--until", help="created at or before (ISO date-time, UTC)")
        parser.add_argument("--search", help="a task-id prefix or text in the arguments")
        parser.add_argument("--limit", type=int, default=settings.OPS_RETRY_MAX)
        parser.add_argument("--yes", action="store_true", help="retry them (else: only list)")

    def handle(self, *args, task_ids, limit, yes, **options):
        runs = self._runs(task_ids, options)
        candidates = list(runs.filter(state__in=FINISHED)[: limit + 1])
        if len(candidates) > limit:
            raise CommandError(f"More than {limit} runs match; narrow the filters or --limit.")
        already = set(
            TaskRun.objects.filter(retry_of__in=[r.task_id for r in candidates]).values_list(
                "retry_of", flat=True
            )
        )
        todo = [run for run in candidates if run.task_id not in already]
        for run in todo:
            self.stdout.write(f"{run.task_id} {run.short_name} {run.state} {run.created_at:%F %T}")
        if not yes and not task_ids:
            self.stdout.write(f"{len(todo)} finished runs match; add --yes to retry them.")
            return
        for run in todo:
            kind = subject_kind(run)
            if kind is not None:  # run again it would do nothing: retry its own objects
                done = operator_task_subjects_retry(actor=self.actor, run=run)
                ids = ", ".join(f"#{subject.pk}" for subject in done)
                said = f"{kind.plural} {ids} queued again" if done else "nothing to retry"
                self.stdout.write(f"{run.short_name} {run.task_id}: {said} (not re-run)")
                continue
            copy = operator_task_retry(actor=self.actor, run=run)
            self.stdout.write(f"re-enqueued {run.short_name} {run.task_id} as {copy.task_id}")
        self.stdout.write(f"{len(todo)} runs enqueued again ({len(already)} already retried).")

    def _runs(self, task_ids: list[str], options: dict):
        filters = {name: options.get(name) or "" for name in FILTERS}
        if not task_ids and not any(filters.values()):
            raise CommandError("Give task ids, or at least one filter (--state error, ...).")
        for name in ("since", "until"):
            if filters[name]:
                moment = parse_datetime(filters[name])
                if moment is None:
                    raise CommandError(f"--{name} {filters[name]!r} is not an ISO date-time.")
                filters[name] = moment
        runs = task_runs_matching(
            **{k: v or None if k in ("since", "until") else v for k, v in filters.items()}
        )
        if not task_ids:
            return runs
        storable = [task_id for task_id in task_ids if "\x00" not in task_id]  # no NUL is stored
        found = set(TaskRun.objects.filter(task_id__in=storable).values_list("task_id", flat=True))
        missing = [task_id for task_id in task_ids if task_id not in found]
        if missing:
            raise CommandError(f"No task run {', '.join(missing)}; the console lists them.")
        return runs.filter(task_id__in=task_ids)
