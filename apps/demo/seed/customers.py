"""Demo customers: three organizations on the Free, Pro and Business plans, and staff."""

import datetime as dt
import functools
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from apps.accounts.models import Membership, Organization, User
from apps.billing.models import Invoice, Plan, Subscription, UsageRecord
from apps.billing.services import add_month

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
DEMO_PASSWORD = "demo-password-123"
# Staff who appear in the history (audit trail, retries, template edits); no usable password.
STAFF = [
    ("olivia.ops@summasaas.local", "Olivia Operator", "Operator"),
    ("theo.templates@summasaas.local", "Theo Templates", "Template editor"),
    ("vera.viewer@summasaas.local", "Vera Viewer", "Viewer"),
]


def customers_seed(*, now: dt.datetime) -> list[Organization]:
    """Plans, the three organizations with their members, usage and invoices (idempotent)."""
    plans = {code: _plan(code, name, chars, price) for code, name, chars, price in PLANS}
    return [_organization(now, plans, *spec) for spec in ORGANIZATIONS]


def staff_seed() -> list[User]:
    """The demo's staff, each in their console role."""
    staff = []
    for email, name, role in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=None, full_name=name, is_staff=True
            )
            user.groups.add(Group.objects.get(name=role))
        staff.append(user)
    return staff


def _plan(code: str, name: str, characters: int, price: Decimal) -> Plan:
    plan, _ = Plan.objects.get_or_create(
        code=code, defaults={"name": name, "monthly_characters": characters, "price": price}
    )
    return plan


def _user(email: str, now: dt.datetime) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        name = email.split("@")[0].capitalize()
        user = User.objects.create(
            email=email,
            password=_demo_hash(),
            full_name=f"{name} Demo",
            email_verified_at=now - dt.timedelta(days=100),
            date_joined=now - dt.timedelta(days=120),
        )
    return user


@functools.cache
def _demo_hash() -> str:
    return make_password(DEMO_PASSWORD)  # hashed once: each hash takes a good fraction of a second


def _organization(now, plans, slug, name, plan_code, share, owner_email, member_emails):
    owner = _user(owner_email, now)
    organization, _ = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "owner": owner, "created_at": now - dt.timedelta(120)}
    )
    Membership.objects.get_or_create(
        user=owner, organization=organization, defaults={"role": "owner"}
    )
    for email in member_emails:
        Membership.objects.get_or_create(user=_user(email, now), organization=organization)
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
