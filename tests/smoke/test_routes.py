"""The smoke suite covers the whole URLconf, and the deployment keeps CSRF where it belongs.

Every route (the admin's included, read from the resolver) has a case in tests/smoke/cases.py,
and every key there still names a route: a new route without a smoke case fails here. Over
HTTP on the deployment, a POST with no cookie and no token reaches each declared machine route
(never a 5xx) and is refused by CsrfViewMiddleware on every other route, as its log says.
"""

import importlib
from pathlib import Path

import pytest

from .cases import CASES, case_for
from .routes import all_routes, machine_scheme

pytestmark = pytest.mark.xdist_group("smoke")
CSRF_LOGGER = " django.security.csrf: Forbidden ("  # each refusal, whatever its reason


def test_every_route_has_a_smoke_case():
    missing = [f"{route.key} ({route.pattern})" for route in all_routes() if not case_for(route)]
    assert not missing, "routes with no smoke case (add one to tests/smoke/cases.py):\n" + (
        "\n".join(missing)
    )


def test_every_declared_case_names_a_route():
    routes = all_routes()
    stale = [key for key in CASES if not any(route.matches(key) for route in routes)]
    assert not stale, f"keys in tests/smoke/cases.py that name no route: {stale}"


def test_a_cookieless_post_reaches_machine_routes_and_is_refused_everywhere_else(deployment):
    client, wrong = deployment.machine(), []
    for route in all_routes():
        before = deployment.log().count(CSRF_LOGGER)
        answer = client.post(route.url(), data=b"", headers={"Content-Type": "application/json"})
        refused = deployment.log().count(CSRF_LOGGER) > before
        if machine_scheme(route) is not None:
            if refused or answer.status_code >= 500:
                wrong.append(f"{route.key}: {answer.status_code}, refused for CSRF: {refused}")
        elif not (refused and answer.status_code == 403):
            wrong.append(f"{route.key} took a cookieless POST: {answer.status_code}")
    assert not wrong, "\n".join(wrong)


def test_every_smoke_module_runs_on_the_one_deployment():
    # make test runs `--dist loadgroup`: a module outside the group would start a second
    # deployment on the other worker.
    here = Path(__file__).parent
    for path in sorted(here.glob("test_*.py")):
        if path.name == "test_csrf_routes.py":  # no deployment: Django's test client
            continue
        module = importlib.import_module(f"tests.smoke.{path.stem}")
        marks = module.pytestmark if isinstance(module.pytestmark, list) else [module.pytestmark]
        assert any(m.name == "xdist_group" and m.args == ("smoke",) for m in marks), path.name
