from django.core.management.base import BaseCommand

from apps.jobs.selectors import locks_list
from apps.jobs.services import locks_clear


class Command(BaseCommand):
    help = "List the periodic jobs' locks; --clear releases stale ones (--all: held ones too)."

    def add_arguments(self, parser):
        parser.add_argument("--clear", action="store_true")
        parser.add_argument(
            "--all", action="store_true", dest="clear_all", help="with --clear: not only stale"
        )

    def handle(self, *args, clear, clear_all, **options):
        if clear:
            cleared = locks_clear(stale_only=not clear_all)
            self.stdout.write(f"cleared: {', '.join(cleared) or 'none'}")
        for lock in locks_list():
            state = "stale" if lock.stale else "held" if lock.locked else "free"
            self.stdout.write(f"{lock.job:<22} {state}")
