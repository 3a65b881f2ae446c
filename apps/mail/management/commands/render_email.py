import json

from django.core.management.base import BaseCommand, CommandError

from apps.mail.exceptions import MailError
from apps.mail.services import render_for_preview


class Command(BaseCommand):
    help = (
        "Print a template's active version rendered as HTML (or text with --text), with its "
        "sample data unless --context gives a JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("key")
        parser.add_argument("--context", help="JSON object replacing the sample data")
        parser.add_argument("--text", action="store_true", help="print the text alternative")

    def handle(self, *args, key: str, context: str | None, text: bool, **options):
        try:
            data = json.loads(context) if context else None
        except json.JSONDecodeError as error:
            raise CommandError(f"--context is not valid JSON: {error}") from error
        if data is not None and not isinstance(data, dict):
            raise CommandError("--context must be a JSON object")
        try:
            rendered = render_for_preview(template_key=key, context=data)
        except MailError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(rendered.text if text else rendered.html)
