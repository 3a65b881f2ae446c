"""Small builders for test data (plain functions: the models are simple)."""

import itertools
from decimal import Decimal

from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.accounts.services import organization_create
from apps.billing.models import Plan
from apps.billing.services import subscription_start
from apps.jobs.models import PeriodicRun

_n = itertools.count(1)


def make_user(email: str | None = None, **fields) -> User:
    email = email or f"user{next(_n)}@example.com"
    return User.objects.create_user(email=email, password="pw-for-tests-123", **fields)


def make_plan(code: str = "free", characters: int = 10_000, price: str = "0") -> Plan:
    """The plan `code` with these figures: the migration's starting plans (free, pro, business)
    are set to them, so a test reads the figures it asked for."""
    plan, _ = Plan.objects.update_or_create(
        code=code,
        defaults={"name": code.title(), "monthly_characters": characters, "price": Decimal(price)},
    )
    return plan


def make_organization(
    name: str | None = None, *, plan: Plan | None = None, owner=None
) -> Organization:
    organization = organization_create(name=name or f"Org {next(_n)}", owner=owner or make_user())
    subscription_start(organization=organization, plan=plan or make_plan())
    return organization


def make_running_period(
    job: str, key: str, *, task_id: str = "", consumer: str = ""
) -> PeriodicRun:
    """The period's row as a run on `consumer` claimed it (a claim's first run)."""
    return PeriodicRun.objects.create(
        job=job,
        period_key=key,
        status="running",
        task_id=task_id,
        period_start=timezone.now(),
        period_end=timezone.now(),
        consumer=consumer,
    )
