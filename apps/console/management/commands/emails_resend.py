from apps.console.cli import OperatorCommand
from apps.console.studio.services import studio_email_resend

from ._emails import outbox_rows


class Command(OperatorCommand):
    help = "Send copies of emails (same recipient, context and version) as new outbox rows."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("email_ids", nargs="+")

    def handle(self, *args, email_ids, **options):
        for email in outbox_rows(email_ids):
            copy = studio_email_resend(actor=self.actor, email=email)
            self.stdout.write(f"#{email.pk}: resent as #{copy.pk} ({copy.status})")
