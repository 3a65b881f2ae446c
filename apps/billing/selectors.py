"""Reads of the billing app that other apps fold into their own queries."""

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Plan, Subscription
from .services.usage import FREE_PLAN_CODE


def live_plan_code(*, organization: OuterRef) -> Coalesce:
    """The code of the plan whose allowance applies to `organization` now, as an expression
    to annotate a query with (no query of its own): the live subscription's plan, else Free
    while a Free plan exists, else "". The same rule as `services.organization_plan`."""
    live = (
        Subscription.objects.filter(organization=organization)
        .exclude(status=Subscription.Status.CANCELED)
        .order_by("-created_at")
        .values("plan__code")[:1]
    )
    free = Plan.objects.filter(code=FREE_PLAN_CODE).values("code")[:1]
    return Coalesce(Subquery(live), Subquery(free), Value(""))
