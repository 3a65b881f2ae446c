import getpass

from django.core.management.base import BaseCommand, CommandError

from apps.jobs.exceptions import JobsError
from apps.jobs.heartbeat import heartbeat_during
from apps.jobs.services import periodic_job_enqueue, periodic_job_run


class Command(BaseCommand):
    help = (
        "Run a periodic job now for a period (default: the one its schedule would cover now), "
        "through the once-per-period guard; --force re-runs a period that already ran."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--period", help="e.g. 2026-11 (month), 2026-W48, 2026-11-25, ...")
        parser.add_argument("--force", action="store_true", help="re-run a finished period")
        parser.add_argument("--enqueue", action="store_true", help="hand it to the consumers")
        parser.add_argument("--by", default=f"cli:{getpass.getuser()}", help="who asks")

    def handle(self, *args, name, period, force, enqueue, by, **options):
        try:
            if enqueue:
                result = periodic_job_enqueue(
                    name=name, period_key=period, force=force, requested_by=by
                )
                self.stdout.write(f"enqueued {name} as task {result.id}")
                return
            with heartbeat_during():  # killed mid-run, the reaper frees its period
                run = periodic_job_run(
                    name=name,
                    period_key=period,
                    force=force,
                    requested_by=by,
                    progress=lambda text: self.stdout.write(text),
                )
        except JobsError as exc:
            raise CommandError(str(exc)) from exc
        if run is None:
            raise CommandError(
                f"{name} did not run: its period is already claimed by another run "
                "(see `manage.py jobs_list`; use --force to re-run it)."
            )
        self.stdout.write(f"{name} {run.period_key}: {run.status} {run.result or run.error}")
        if run.status != run.Status.SUCCEEDED:
            raise CommandError(f"{name} {run.period_key} {run.status}")
