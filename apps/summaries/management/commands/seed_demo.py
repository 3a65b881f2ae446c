from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.accounts.models import User
from apps.summaries.demo import DEMO_PASSWORD, seed_demo

# The customer login `make run` prints: Initech's owner, on the Business plan, verified.
DEMO_CUSTOMER = "peter@initech.example"


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
        User.objects.filter(email=DEMO_CUSTOMER, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        self.stdout.write(f"Customer login: /accounts/login/ as {DEMO_CUSTOMER} / {DEMO_PASSWORD}")
