"""Demo data for `make run`: three customers on three plans and 90 days of believable history
(requests, documents, archives, API calls and roll-ups, emails and their events, task runs and
periodic jobs, consumers, the audit trail), so every page of the console shows something.

Each part adds its rows once: running `seed_demo` again changes nothing.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .activity import (
    archives_seed,
    documents_seed,
    interactions_seed,
    requests_seed,
)
from .customers import DEMO_PASSWORD, customers_seed, staff_seed
from .email import email_seed
from .jobs import jobs_seed

__all__ = ["DEMO_PASSWORD", "seed_demo"]


@transaction.atomic
def seed_demo(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create or top up the demo data; returns what each part added."""
    now = now or timezone.now()
    organizations = customers_seed(now=now)
    staff = staff_seed()
    added = {
        "requests": requests_seed(now=now, organizations=organizations),
        "documents": documents_seed(now=now, organizations=organizations),
        "archives": archives_seed(now=now, organizations=organizations),
        "api calls": interactions_seed(now=now, organizations=organizations),
        "emails": email_seed(now=now, organizations=organizations, staff=staff),
    }
    added["task runs"] = jobs_seed(now=now, staff=staff)  # after the emails and requests
    return {"organizations": len(organizations), **added}
