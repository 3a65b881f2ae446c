from django.core.management.base import BaseCommand

from apps.summaries.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo customers, plans, invoices and 2,000 requests (safe to run again)."

    def handle(self, *args, **options):
        counts = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {counts['organizations']} organizations on {counts['plans']} "
                f"plans, {counts['requests_created']} summarization requests added."
            )
        )
