"""Operator actions from the command line: who acts, and the base of those commands."""

import getpass
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from apps.jobs.exceptions import JobsError
from apps.mail.exceptions import MailError
from apps.text_input import poison_in, poison_message


@dataclass(frozen=True)
class CliActor:
    """Who acts from a command: the OS user, and the staff address given with --by."""

    os_user: str
    email: str = ""
    pk = None  # no console user: the audit trail keeps the address and the OS user

    def __str__(self) -> str:
        return self.email or f"cli:{self.os_user}"


class OperatorCommand(BaseCommand):
    """A command that changes something an operator would change in the console: audited with
    the OS user (and --by, the staff address acting), its errors turned into CommandError."""

    def add_arguments(self, parser):
        parser.add_argument("--by", default="", help="your staff email, for the audit trail")

    def execute(self, *args, **options):
        # A byte that is not UTF-8 on the command line arrives as a lone surrogate (Python's
        # surrogateescape): refused by name before any query, as NUL is.
        if (where := poison_in({"arguments": list(args), **options})) is not None:
            raise CommandError(poison_message(where))
        self.actor = CliActor(os_user=getpass.getuser(), email=options.get("by") or "")
        try:
            return super().execute(*args, **options)
        except (JobsError, MailError) as exc:
            raise CommandError(str(exc)) from exc
