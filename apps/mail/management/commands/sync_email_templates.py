from django.core.management.base import BaseCommand, CommandError

from apps.mail.defaults import sync_email_templates
from apps.mail.exceptions import TemplateInvalidError


class Command(BaseCommand):
    help = (
        "Load the default email layout and templates from mjml/ into the database. Idempotent; "
        "templates staff edited since the last sync are kept unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="overwrite staff edits")

    def handle(self, *args, force: bool, **options):
        try:
            report = sync_email_templates(force=force)
        except TemplateInvalidError as error:
            raise CommandError(
                "A shipped template is invalid:\n" + "\n".join(str(p) for p in error.problems)
            ) from error
        for line in report.lines():
            self.stdout.write(line)
