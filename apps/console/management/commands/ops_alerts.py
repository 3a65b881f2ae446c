from django.core.management.base import BaseCommand

from apps.console.alerts import alerts_check


class Command(BaseCommand):
    help = (
        "Send the ops alerts due now (once per subject and hour). Consumers run this every five "
        "minutes; run it from cron as well, since with no live consumer nothing else does."
    )

    def handle(self, *args, **options):
        alerted = alerts_check()
        self.stdout.write(f"alerted: {', '.join(alerted) or 'nothing'}")
