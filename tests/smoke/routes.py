"""Every route of the URLconf (the admin site's included), read from the resolver itself.

The deployment smoke suite and the CSRF test walk these instead of a hand-kept list of URLs, so
a new route is seen as soon as it is added: it must be a declared machine route or stay
CSRF-protected (tests/smoke/test_csrf_routes.py), and it must have a smoke case
(tests/smoke/cases.py).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

# Routes that machines POST to without a cookie or a CSRF token, each with the scheme that
# authenticates it instead; every other route must stay CSRF-protected. A name, or a pattern
# (fnmatch) over the route as written.
MACHINE_ROUTES = {
    "stripe_webhook": "Stripe-Signature: an HMAC of the body with STRIPE_WEBHOOK_SECRET",
    "postmark_tracking_webhook": "HTTP basic auth WEBHOOK_SECRET",
    "sendgrid_tracking_webhook": "HTTP basic auth WEBHOOK_SECRET",
    "resend_tracking_webhook": "HTTP basic auth WEBHOOK_SECRET and Resend's svix signature",
    "mailgun_tracking_webhook": "HTTP basic auth WEBHOOK_SECRET and Mailgun's HMAC signature",
    "amazon_ses_tracking_webhook": "HTTP basic auth WEBHOOK_SECRET (SNS notifications)",
    "mail:unsubscribe": "the signed token in the URL (RFC 8058 one-click POST from mail clients)",
    "api/v1/*": "Authorization: Bearer API key",
}
# A sample value per converter, so that each route can be requested (the smoke cases put real
# ids in where they matter).
SAMPLES = {
    "int": "1",
    "path": "1",
    "str": "x",
    "slug": "x",
    "uuid": "0" * 8 + "-0000" * 3 + "-" + "0" * 12,
}
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_CANDIDATES = ("x", "1", "auth")  # values tried for a regex route's groups, in order


@dataclass(frozen=True)
class Route:
    """One URL pattern: as written (prefixes joined), its namespaced name, its view."""

    pattern: str
    name: str
    callback: Callable
    sample: str  # a path that resolves to this route, with a leading slash

    @property
    def key(self) -> str:
        """How the declarations name it: the namespaced name, or the pattern if unnamed."""
        return self.name or self.pattern

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    def matches(self, declared: str) -> bool:
        """Whether a declaration names this route: its name, or a pattern (fnmatch) over its
        name or over the route as written."""
        named = bool(self.name) and fnmatchcase(self.name, declared)
        return named or fnmatchcase(self.pattern, declared)

    def url(self, **values: str) -> str:
        """The route's path with `values` in place of its parameters (samples otherwise)."""
        if not values:
            return self.sample

        def fill(match: re.Match) -> str:
            default = SAMPLES.get(match["converter"] or "str", "x")
            return str(values.get(match["name"], default))

        return "/" + CONVERTER.sub(fill, self.pattern)


def all_routes() -> list[Route]:
    """Every route of the project's URLconf, each once."""
    found = _walk(get_resolver().url_patterns, pattern="", sample="", namespace="")
    return list({(r.pattern, r.name): r for r in found}.values())


def machine_scheme(route: Route) -> str | None:
    """How a declared machine route authenticates, or None for a route that is not one."""
    for declared, scheme in MACHINE_ROUTES.items():
        if route.matches(declared):
            return scheme
    return None


def _walk(patterns, *, pattern: str, sample: str, namespace: str):
    for entry in patterns:
        written, text = _level(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(
                entry.url_patterns,
                pattern=pattern + written,
                sample=sample + text,
                namespace=inner.strip(":"),
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(pattern + written, name, entry.callback, "/" + sample + text)


def _level(pattern) -> tuple[str, str]:
    """One level of a route as written, and a sample text that it matches."""
    if isinstance(pattern, RoutePattern):
        written = str(pattern)
        return written, CONVERTER.sub(lambda m: SAMPLES.get(m["converter"] or "str", "x"), written)
    assert isinstance(pattern, RegexPattern), pattern
    written = str(pattern)
    template, parameters = normalize(pattern.regex.pattern)[0]
    for candidate in REGEX_CANDIDATES:
        text = template % dict.fromkeys(parameters, candidate)
        if pattern.regex.fullmatch(text) or pattern.regex.match(text):
            return written, text
    raise AssertionError(f"no sample value matches the route {written!r}: add one")
