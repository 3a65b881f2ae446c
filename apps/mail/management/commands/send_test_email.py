from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.mail.exceptions import MailError
from apps.mail.services import send_test_email


class Command(BaseCommand):
    help = "Send a template with its sample data to one address, marked as a test in the log."

    def add_arguments(self, parser):
        parser.add_argument("key")
        parser.add_argument("--to", required=True, help="recipient address")

    def handle(self, *args, key: str, to: str, **options):
        try:
            with transaction.atomic():
                email = send_test_email(template_key=key, to=to)
        except MailError as error:
            raise CommandError(str(error)) from error
        email.refresh_from_db()
        self.stdout.write(f"test email #{email.pk} ({key} to {to}): {email.status}")
