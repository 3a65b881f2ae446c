from apps.console.cli import OperatorCommand
from apps.console.studio.services import studio_email_retry

from ._emails import outbox_rows


class Command(OperatorCommand):
    help = "Queue failed or unknown emails for another delivery attempt (same row)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("email_ids", nargs="+")

    def handle(self, *args, email_ids, **options):
        for email in outbox_rows(email_ids):
            queued = studio_email_retry(actor=self.actor, email=email)
            self.stdout.write(
                f"#{email.pk}: {'queued' if queued else f'not retried ({email.status})'}"
            )
