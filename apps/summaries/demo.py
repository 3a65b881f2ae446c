"""Demo data for `make run`: three customers on three plans, with history to look at."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Membership, Organization, User
from apps.billing.models import Invoice, Plan, Subscription, UsageRecord
from apps.billing.services import add_month

from .models import SummarizationRequest

PLANS = [
    ("free", "Free", 10_000, Decimal("0.00")),
    ("pro", "Pro", 1_000_000, Decimal("29.00")),
    ("business", "Business", 10_000_000, Decimal("199.00")),
]
# slug, name, plan, share of the monthly allowance used, owner, members
ORGANIZATIONS = [
    ("acme", "Acme Writers", "free", 0.85, "ada@acme.example", ["ben@acme.example"]),
    ("globex", "Globex Research", "pro", 1.00, "grace@globex.example", ["hal@globex.example"]),
    (
        "initech",
        "Initech Legal",
        "business",
        0.23,
        "peter@initech.example",
        ["milton@initech.example", "joanna@initech.example"],
    ),
]
REQUESTS = 2_000
DAYS = 90
DEMO_PASSWORD = "demo-password-123"


@transaction.atomic
def seed_demo(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create or top up the demo data; running it again changes nothing. Returns counts."""
    now = now or timezone.now()
    plans = {code: _plan(code, name, chars, price) for code, name, chars, price in PLANS}
    organizations = [_organization(now, plans, *spec) for spec in ORGANIZATIONS]
    created = _requests(now, organizations)
    return {
        "plans": len(plans),
        "organizations": len(organizations),
        "requests_created": created,
    }


def _plan(code: str, name: str, characters: int, price: Decimal) -> Plan:
    plan, _ = Plan.objects.get_or_create(
        code=code, defaults={"name": name, "monthly_characters": characters, "price": price}
    )
    return plan


def _user(email: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        name = email.split("@")[0].capitalize()
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=f"{name} Demo", email_verified_at=None
        )
    return user


def _organization(now, plans, slug, name, plan_code, share, owner_email, member_emails):
    owner = _user(owner_email)
    organization, _ = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "owner": owner, "created_at": now - dt.timedelta(120)}
    )
    Membership.objects.get_or_create(
        user=owner, organization=organization, defaults={"role": "owner"}
    )
    for email in member_emails:
        Membership.objects.get_or_create(user=_user(email), organization=organization)
    plan = plans[plan_code]
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    subscription, _ = Subscription.objects.get_or_create(
        organization=organization,
        status=Subscription.Status.ACTIVE,
        defaults={
            "plan": plan,
            "current_period_start": month_start,
            "current_period_end": add_month(month_start),
        },
    )
    _usage(organization, plan, share, month_start)
    if plan.price:
        _invoices(organization, subscription, plan, month_start)
    return organization


def _usage(organization, plan, share, month_start):
    UsageRecord.objects.update_or_create(
        organization=organization,
        period_start=month_start.date(),
        defaults={
            "characters_limit": plan.monthly_characters,
            "characters_used": int(plan.monthly_characters * share),
        },
    )
    for back in (1, 2):
        start = (month_start - dt.timedelta(days=28 * back)).replace(day=1)
        UsageRecord.objects.get_or_create(
            organization=organization,
            period_start=start.date(),
            defaults={
                "characters_limit": plan.monthly_characters,
                "characters_used": int(plan.monthly_characters * share * 0.7),
                "closed_at": add_month(start),
            },
        )


def _invoices(organization, subscription, plan, month_start):
    for back, status in ((2, "paid"), (1, "paid"), (0, "open")):
        issued = (month_start - dt.timedelta(days=28 * back)).replace(day=1)
        Invoice.objects.get_or_create(
            number=f"INV-{issued:%Y%m}-{organization.slug.upper()}",
            defaults={
                "organization": organization,
                "subscription": subscription,
                "amount": plan.price,
                "status": status,
                "issued_at": issued,
                "due_at": issued + dt.timedelta(days=14),
                "paid_at": issued + dt.timedelta(days=3) if status == "paid" else None,
            },
        )


def _requests(now, organizations) -> int:
    existing = SummarizationRequest.objects.filter(organization__in=organizations).count()
    missing = REQUESTS - existing
    if missing <= 0:
        return 0
    rng = random.Random(42 + existing)
    members = {
        org.pk: list(User.objects.filter(memberships__organization=org)) for org in organizations
    }
    modes = list(SummarizationRequest.Mode.values)
    rows = []
    for _ in range(missing):
        org = rng.choice(organizations)
        created = now - dt.timedelta(seconds=rng.randint(0, DAYS * 86_400))
        failed = rng.random() < 0.04
        characters = rng.randint(200, 6_000)
        rows.append(
            SummarizationRequest(
                organization=org,
                user=rng.choice(members[org.pk]),
                mode=rng.choice(modes),
                input_characters=characters,
                output_characters=0 if failed else characters // rng.randint(4, 12),
                status="failed" if failed else "completed",
                created_at=created,
                completed_at=created + dt.timedelta(milliseconds=rng.randint(300, 9_000)),
            )
        )
    SummarizationRequest.objects.bulk_create(rows, batch_size=500)
    return missing
