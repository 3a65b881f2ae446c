"""Reads for the account pages and the API."""

from django.db.models import Case, Exists, F, OuterRef, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from apps.accounts.models import Membership, Organization, User
from apps.billing.exceptions import NoPlanError
from apps.billing.selectors import live_plan_code
from apps.billing.services import organization_plan, usage_record_for_month
from apps.mail.tokens import make_preferences_token
from apps.summaries.models import Document, SummarizationRequest

from .files import signed_file_url
from .models import ApiKey


def organization_for(*, user: User) -> Organization | None:
    """The organization a customer acts for: the first they own, else the first they belong to."""
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("-role", "joined_at")  # "owner" sorts first in descending order
        .first()
    )
    return membership.organization if membership else None


def holder_active() -> Exists:
    """True for a key whose acting user (its creator, else the organization's owner) is active
    and still a member of the key's organization: the condition for the key to work."""
    return Exists(
        Membership.objects.filter(
            organization=OuterRef("organization"),
            user=Coalesce(OuterRef("created_by"), OuterRef("organization__owner")),
            user__is_active=True,
        )
    )


def _holder(field: str) -> Case:
    """A field of the user the key acts for: its creator's, else the organization owner's."""
    return Case(
        When(created_by__isnull=False, then=F(f"created_by__{field}")),
        default=F(f"organization__owner__{field}"),
    )


def api_caller_row(*, prefix: str) -> dict | None:
    """The working key with this prefix and what every API call needs to know about it, in
    one query (joins and subqueries, no second round trip): its hash, its organization, the
    user it acts for (their address and whether it is verified) and the plan's code. None
    when there is no such key, it is revoked or its holder stopped (`holder_active`)."""
    rows = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .filter(holder_active())
        .order_by()
        .values(
            "prefix",
            "hashed_key",
            "last_used_at",
            "organization_id",
            "created_by_id",
            key_id=F("id"),
            organization_name=F("organization__name"),
            owner_id=F("organization__owner_id"),
            holder_email=_holder("email"),
            holder_verified_at=_holder("email_verified_at"),
            plan_code=live_plan_code(organization=OuterRef("organization")),
        )[:1]
    )
    return next(iter(rows), None)


def account_overview(*, user: User) -> dict:
    organization = organization_for(user=user)
    overview = {
        "organization": organization,
        "verified": user.email_verified_at is not None,
        "preferences_url": reverse(
            "mail:preferences", args=[make_preferences_token(address=user.email)]
        ),
    }
    if organization is None:
        return overview
    keys = organization.api_keys.filter(revoked_at__isnull=True).annotate(working=holder_active())
    overview["keys"] = list(keys.select_related("created_by"))
    documents = Document.objects.filter(organization=organization).order_by("-id")[:20]
    overview["documents"] = [
        {
            "row": d,
            "url": signed_file_url(
                name=d.file.name, filename=d.original_name, content_type=d.content_type
            ),
        }
        for d in documents
    ]
    overview["recent"] = list(
        SummarizationRequest.objects.filter(organization=organization).order_by("-id")[:5]
    )
    try:
        plan = organization_plan(organization=organization)
        usage = usage_record_for_month(organization=organization)
    except NoPlanError:
        return overview
    overview.update(plan=plan, usage=usage, percent=min(usage.percent_used, 100.0))
    return overview
