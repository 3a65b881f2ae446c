import getpass

from django.core.management.base import BaseCommand, CommandError

from apps.jobs.exceptions import JobsError
from apps.jobs.services import periodic_job_pause


class Command(BaseCommand):
    help = "Pause a periodic job (its scheduled runs are skipped and recorded), or --resume it."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--resume", action="store_true")
        parser.add_argument("--by", default=f"cli:{getpass.getuser()}")

    def handle(self, *args, name, resume, by, **options):
        try:
            state = periodic_job_pause(name=name, paused=not resume, changed_by=by)
        except JobsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{name}: {'paused' if state.paused else 'active'}")
