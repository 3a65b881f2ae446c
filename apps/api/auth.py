"""Who calls: an API key (Bearer), its organization's per-plan rate, a verified address."""

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.accounts.ratelimits import hit

from .callers import Caller
from .errors import ApiError
from .keys import api_key_authenticate
from .models import ApiKey


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer ss_...`; the request then carries `api_key`, its organization
    and holder attached (from the cached caller: no query)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        caller = api_key_authenticate(key=token.strip())
        if caller is None:
            return None
        request.api_key = api_key = caller.api_key()
        _check_rate(request, caller)
        if caller.holder_verified_at is None:
            raise ApiError(
                403,
                "unverified",
                f"Verify {caller.holder_email} first: open the link we emailed (or ask for a "
                "new one on the account page).",
            )
        return api_key


def plan_rate(plan_code: str) -> str:
    """The API rate of a plan (`count/period`), by its code ("" for none)."""
    return settings.API_RATE_BY_PLAN.get(plan_code, settings.API_RATE_DEFAULT)


def _check_rate(request: HttpRequest, caller: Caller) -> None:
    wait = hit(request, group="api", key=f"key:{caller.key_id}", rate=plan_rate(caller.plan_code))
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests for this key's plan; retry in {wait} s.",
            {"Retry-After": str(wait)},
        )
