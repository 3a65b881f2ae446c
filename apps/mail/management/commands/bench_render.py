from django.core.management.base import BaseCommand, CommandError

from apps.mail.benchmark import bench_render
from apps.mail.exceptions import MailError


class Command(BaseCommand):
    help = (
        "Measure personalized renders per second (subject + HTML + text from a stored version) "
        "against bare mjml2html compiles per second of the same template, in one run."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", default="usage_report")
        parser.add_argument("--iterations", type=int, default=2000)

    def handle(self, *args, key: str, iterations: int, **options):
        try:
            result = bench_render(template_key=key, iterations=iterations)
        except MailError as error:
            raise CommandError(str(error)) from error
        for line in result.lines():
            self.stdout.write(line)
