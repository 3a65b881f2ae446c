"""Who calls: an API key (Bearer), its organization's per-plan rate, a verified address."""

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.accounts.ratelimits import hit
from apps.billing.exceptions import NoPlanError
from apps.billing.services import organization_plan

from .errors import ApiError
from .keys import api_key_authenticate
from .models import ApiKey


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer ss_...`; the request then carries `api_key`."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = api_key_authenticate(key=token.strip())
        if api_key is None:
            return None
        request.api_key = api_key
        _check_rate(request, api_key)
        user = api_key.created_by or api_key.organization.owner
        if user.email_verified_at is None:
            raise ApiError(
                403, "unverified",
                f"Verify {user.email} first: open the link we emailed (or ask for a new one on "
                "the account page).",
            )  # fmt: skip
        return api_key


def plan_rate(api_key: ApiKey) -> str:
    try:
        code = organization_plan(organization=api_key.organization).code
    except NoPlanError:
        code = ""
    return settings.API_RATE_BY_PLAN.get(code, settings.API_RATE_DEFAULT)


def _check_rate(request: HttpRequest, api_key: ApiKey) -> None:
    wait = hit(request, group="api", key=f"key:{api_key.pk}", rate=plan_rate(api_key))
    if wait:
        raise ApiError(
            429, "rate_limited", f"Too many requests for this key's plan; retry in {wait} s.",
            {"Retry-After": str(wait)},
        )  # fmt: skip
