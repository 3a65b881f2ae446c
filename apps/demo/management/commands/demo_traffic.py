from django.core.management.base import BaseCommand

from apps.demo.traffic import demo_traffic


class Command(BaseCommand):
    help = (
        "Drive the real API over HTTP for a while (the demo organizations, all modes, some "
        "uploads, some over quota) so the analytics and quota panels fill with real data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running site")
        parser.add_argument("--seconds", type=float, default=180.0)
        parser.add_argument("--threads", type=int, default=2)

    def handle(self, *args, url, seconds, threads, **options):
        tally = demo_traffic(base_url=url, seconds=seconds, threads=threads, log=self.stdout.write)
        lines = ", ".join(f"{status}: {count}" for status, count in sorted(tally.items()))
        self.stdout.write(self.style.SUCCESS(f"Done: {sum(tally.values())} calls ({lines})."))
