"""The one adapter over django-ratelimit: attempt counters in Django's default cache.

The cache is Redis in production and the database cache in the embedded default, so every web
process shares the counters. Everything else in the project calls `hit` or `auth_rate_limited`
and never django-ratelimit itself.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

ADDRESS_MAX = 254  # longer values cannot be an address: they share one counter


def hit(request: HttpRequest, *, group: str, key: str, rate: str) -> int | None:
    """Count one attempt of `key` in `group`: the seconds to wait when over `rate`, else None.

    `key` is "ip" for the client's address (settings.RATELIMIT_IP_META_KEY says where it is
    read behind a proxy) or any other string for itself (an email address, an API key id).
    """
    value = "ip" if key == "ip" else functools.partial(_constant, key)
    usage = get_usage(request, group=group, key=value, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def _constant(value: str, group: str, request: HttpRequest) -> str:
    return value


def normalized_address(value: str) -> str:
    return value.strip().lower()[:ADDRESS_MAX]


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The plain 429 page, with the `Retry-After` header a client can honour."""
    response = render(
        request,
        "accounts/too_many_requests.html",
        {"minutes": max(1, round(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def auth_rate_limited(view: Callable, *, group: str, field: str) -> Callable:
    """Limit a public auth form's POSTs per client IP and per address typed into `field`.

    Both counters count every attempt (a success too): a guesser spreading tries over many
    addresses meets the IP limit, one spread over many IPs meets the address limit.
    """

    @functools.wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            waits = [hit(request, group=f"{group}:ip", key="ip", rate=settings.AUTH_RATE_PER_IP)]
            address = normalized_address(request.POST.get(field, ""))
            if address:
                waits.append(
                    hit(
                        request,
                        group=f"{group}:address",
                        key=address,
                        rate=settings.AUTH_RATE_PER_ADDRESS,
                    )
                )
            waits = [w for w in waits if w]
            if waits:
                return too_many_requests(request, max(waits))
        return view(request, *args, **kwargs)

    return limited
