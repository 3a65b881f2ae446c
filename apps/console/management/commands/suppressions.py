from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email

from apps.console.cli import OperatorCommand
from apps.console.studio.services import studio_suppression_add, studio_suppression_remove
from apps.mail.models import Suppression


class Command(OperatorCommand):
    help = "The suppression list: `list [--search TEXT]`, `add ADDRESS [--note]`, `remove ADDRESS`."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("action", choices=["list", "add", "remove"])
        parser.add_argument("address", nargs="?")
        parser.add_argument("--note", default="")
        parser.add_argument("--search", default="", help="with list: addresses containing it")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args, action, address, note, search, limit, **options):
        if action == "list":
            rows = Suppression.objects.filter(address__icontains=search.strip().lower())
            for row in rows.order_by("address")[:limit]:
                self.stdout.write(f"{row.address:<40} {row.reason:<12} {row.created_at:%F}")
            return
        address = self._address(address)
        if action == "add":
            studio_suppression_add(actor=self.actor, address=address, note=note)
            self.stdout.write(f"{address} suppressed")
            return
        suppression = Suppression.objects.filter(address=address).first()
        if suppression is None:
            raise CommandError(f"{address} is not suppressed.")
        studio_suppression_remove(actor=self.actor, suppression=suppression)
        self.stdout.write(f"{address} may be emailed again")

    def _address(self, address: str | None) -> str:
        address = (address or "").strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise CommandError(f"{address!r} is not an email address.") from None
        return address
