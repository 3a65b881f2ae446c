from apps.console.cli import OperatorCommand
from apps.console.studio.services import studio_email_mark_sent

from ._emails import outbox_rows


class Command(OperatorCommand):
    help = "Settle emails whose delivery was interrupted (unknown) as sent: they arrived."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("email_ids", nargs="+")

    def handle(self, *args, email_ids, **options):
        for email in outbox_rows(email_ids):
            marked = studio_email_mark_sent(actor=self.actor, email=email)
            self.stdout.write(f"#{email.pk}: {'marked sent' if marked else f'left {email.status}'}")
