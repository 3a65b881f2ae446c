from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.accounts.models import User
from apps.demo.seed import DEMO_PASSWORD, seed_demo

# The customer login `make run` prints: Initech's owner, on the Business plan, verified.
DEMO_CUSTOMER = "peter@initech.example"


class Command(BaseCommand):
    help = (
        "Create the demo customers and 90 days of history (requests, API calls, emails and "
        "their events, task runs, periodic jobs, the audit trail); safe to run again."
    )

    def handle(self, *args, **options):
        counts = seed_demo()
        added = ", ".join(f"{n:,} {what}" for what, n in counts.items() if what != "organizations")
        ready = f"Demo data ready: {counts['organizations']} organizations; added {added}."
        self.stdout.write(self.style.SUCCESS(ready))
        User.objects.filter(email=DEMO_CUSTOMER, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        self.stdout.write(f"Customer login: /accounts/login/ as {DEMO_CUSTOMER} / {DEMO_PASSWORD}")
