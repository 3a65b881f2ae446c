from apps.console.cli import OperatorCommand
from apps.console.services import audit_record, operator_locks_clear
from apps.jobs.periodic import REGISTRY
from apps.jobs.selectors import locks_list
from apps.jobs.services import locks_clear


class Command(OperatorCommand):
    help = "List the periodic jobs' locks; --clear releases stale ones (--all: held ones too)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--clear", action="store_true")
        parser.add_argument(
            "--all", action="store_true", dest="clear_all", help="with --clear: not only stale"
        )

    def handle(self, *args, clear, clear_all, **options):
        if clear and clear_all:
            cleared = locks_clear(stale_only=False)
            self._audit_all(cleared)
        elif clear:
            cleared = operator_locks_clear(actor=self.actor, names=sorted(REGISTRY))
        if clear:
            self.stdout.write(f"cleared: {', '.join(cleared) or 'none'}")
        for lock in locks_list():
            state = "stale" if lock.stale else "held" if lock.locked else "free"
            self.stdout.write(f"{lock.job:<22} {state:<6} {lock.holder}".rstrip())

    def _audit_all(self, cleared: list[str]) -> None:
        audit_record(
            actor=self.actor,
            action="lock.clear",
            after={"cleared": cleared},
            note="all held locks, stale or not",
        )
