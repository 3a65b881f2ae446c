"""Reads for the account pages and the API."""

from apps.accounts.models import Membership, Organization, User
from apps.billing.exceptions import NoPlanError
from apps.billing.services import organization_plan, usage_record_for_month


def organization_for(*, user: User) -> Organization | None:
    """The organization a customer acts for: the first they own, else the first they belong to."""
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("-role", "joined_at")  # "owner" sorts first in descending order
        .first()
    )
    return membership.organization if membership else None


def account_overview(*, user: User) -> dict:
    organization = organization_for(user=user)
    overview = {"organization": organization, "verified": user.email_verified_at is not None}
    if organization is None:
        return overview
    try:
        plan = organization_plan(organization=organization)
        usage = usage_record_for_month(organization=organization)
    except NoPlanError:
        return overview
    overview.update(plan=plan, usage=usage, percent=min(usage.percent_used, 100.0))
    return overview
