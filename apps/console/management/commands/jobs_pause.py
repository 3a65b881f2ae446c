from apps.console.cli import OperatorCommand
from apps.console.services import operator_job_pause


class Command(OperatorCommand):
    help = "Pause a periodic job (its scheduled runs are skipped and recorded), or --resume it."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("name")
        parser.add_argument("--resume", action="store_true")

    def handle(self, *args, name, resume, **options):
        state = operator_job_pause(actor=self.actor, name=name, paused=not resume)
        self.stdout.write(f"{name}: {'paused' if state.paused else 'active'}")
