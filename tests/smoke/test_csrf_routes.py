"""Every route is either a declared machine route (CSRF-exempt, authenticated by its own scheme)
or CSRF-protected, read from the URLconf so that a new route cannot slip through either way.

Machines (providers, Stripe, API clients, mail clients' one-click unsubscribe) POST without a
cookie: a CSRF check there refuses every real call (the provider webhooks answered 403 "CSRF
cookie not set" while the suite, whose test Client skips CSRF checks, stayed green). A form
route without the check lets another site post as the signed-in user. Both directions are
checked on the view's mark and through CsrfViewMiddleware with a POST that carries no cookie
(the deployment smoke suite does the same over real HTTP).
"""

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.billing.stripe_payloads import SECRET
from tests.mail import webhook_payloads
from tests.smoke.routes import MACHINE_ROUTES, all_routes, machine_scheme

pytestmark = pytest.mark.django_db
REFUSED: list[str] = []  # paths CsrfViewMiddleware refused, whatever the answer looks like


def csrf_refused(request, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW for these tests: notes the refusal (an /api/ error answers JSON)."""
    REFUSED.append(request.path)
    return HttpResponse(reason, status=403)


def refused_for_csrf(client: Client, url: str) -> tuple[bool, int]:
    REFUSED.clear()
    response = client.post(url, data=b"", content_type="application/json")
    return url in REFUSED, response.status_code


def test_the_walk_finds_the_routes_machines_post_to():
    names = {route.name for route in all_routes()}
    assert {
        "stripe_webhook",
        "mail:unsubscribe",
        "postmark_tracking_webhook",
        "api:summary_create",
        "admin:login",
        "signup",
    } <= names


def test_every_declared_machine_route_exists():
    routes = all_routes()
    for declared in MACHINE_ROUTES:
        assert any(route.matches(declared) for route in routes), f"{declared} is no route"


def test_machine_routes_are_exempt_and_every_other_route_is_protected():
    wrong = []
    for route in all_routes():
        machine = machine_scheme(route) is not None
        if route.csrf_exempt != machine:
            state = "exempt" if route.csrf_exempt else "CSRF-protected"
            kind = "a declared machine route" if machine else "not a declared machine route"
            wrong.append(f"{route.key} is {state} but {kind}")
    assert not wrong, "\n".join(wrong)


def test_a_post_without_a_cookie_reaches_machine_routes_and_is_refused_by_the_others(settings):
    settings.ANYMAIL = dict(webhook_payloads.ANYMAIL_SETTINGS)  # configured, as in production
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_refused"
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    wrong = []
    for route in all_routes():
        refused, status = refused_for_csrf(client, route.url())
        if machine_scheme(route) is not None:
            if refused or status >= 500:
                wrong.append(f"{route.key} ({route.url()}): {status}, CSRF refusal: {refused}")
        elif not refused:
            wrong.append(f"{route.key} ({route.url()}) took a cookieless POST: {status}")
    assert not wrong, "\n".join(wrong)
