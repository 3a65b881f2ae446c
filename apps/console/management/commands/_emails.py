"""What the email commands share: outbox rows named by id, one service called on each, and a
line a row saying what it did."""

from django.core.management.base import CommandError

from apps.console.cli import OperatorCommand
from apps.mail.models import OutboundEmail


def outbox_rows(ids: list[str]) -> list[OutboundEmail]:
    if not all(i.isdigit() for i in ids):
        raise CommandError("Email ids are the outbox's numbers, e.g. 1234.")
    rows = {email.pk: email for email in OutboundEmail.objects.filter(pk__in=map(int, ids))}
    missing = [i for i in ids if int(i) not in rows]
    if missing:
        raise CommandError(f"No email {', '.join(missing)} in the outbox.")
    return [rows[int(i)] for i in ids]


class EmailsCommand(OperatorCommand):
    """Calls `service(actor=..., email=...)` on each email named, in the order given, and
    prints `#<id>: <outcome(email, result)>`; an unknown id stops it before any call."""

    @staticmethod
    def service(*, actor, email: OutboundEmail):
        raise NotImplementedError

    @staticmethod
    def outcome(email: OutboundEmail, result) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("email_ids", nargs="+")

    def handle(self, *args, email_ids, **options):
        for email in outbox_rows(email_ids):
            result = self.service(actor=self.actor, email=email)
            self.stdout.write(f"#{email.pk}: {self.outcome(email, result)}")


class SettleCommand(EmailsCommand):
    """An email command whose service answers True when done, or False when the email's status
    refuses it: `done` is printed, or `refused` with the status in it."""

    done: str
    refused: str  # with "{status}" where the email's status goes

    def outcome(self, email: OutboundEmail, settled: bool) -> str:
        return self.done if settled else self.refused.format(status=email.status)
