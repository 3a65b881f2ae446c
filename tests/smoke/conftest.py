"""The deployment every smoke case reaches over HTTP: one per test run (not per test or module:
its release step and processes take most of the suite's time), on the run's PostgreSQL and
Redis. Smoke modules carry `xdist_group("smoke")` (make test runs `--dist loadgroup`), so under
pytest-xdist they all run on one worker and share it."""

import re

import pytest

from .browser import Browser
from .customer import Customer, sign_up
from .deployment import ADMIN_EMAIL, ADMIN_PASSWORD, Deployment, create, start, stop


@pytest.fixture(scope="session")
def deployment(tmp_path_factory) -> Deployment:
    running = create(tmp_path_factory.mktemp("smoke"))
    try:
        start(running)
        yield running
    finally:
        stop(running)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed smoke case shows what the deployment's processes logged meanwhile."""
    report = yield
    running = item.funcargs.get("deployment") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(running, Deployment):
        for name in ("gunicorn.log", "consumer.log"):
            path = running.workdir / name
            if path.exists():
                report.sections.append((f"deployment {name} (tail)", path.read_text()[-4000:]))
    return report


@pytest.fixture
def browser(deployment):
    """A new visitor: no cookies yet."""
    return deployment.browser()


@pytest.fixture(scope="session")
def customer(deployment) -> Customer:
    """The customer who signed up, verified the address and signed in (once per run)."""
    return sign_up(deployment)


@pytest.fixture(scope="session")
def api_key(customer) -> str:
    """A key made on the account page (shown once, in the page the form answers with)."""
    account = customer.browser.get("/accounts/")
    made = customer.browser.submit(account, "/accounts/keys/", {"name": "smoke server"})
    assert made.status_code == 200, made.text[:500]
    match = re.search(r'id="new-key">(ss_[^<\s]+)<', made.text)
    assert match, made.text[:2000]
    return match.group(1)


@pytest.fixture
def api(deployment, api_key):
    """An API client with the customer's key."""
    client = deployment.machine()
    client.session.headers["Authorization"] = f"Bearer {api_key}"
    return client


@pytest.fixture(scope="session")
def staff(deployment) -> Browser:
    """The operator's browser, signed in through the console's login form (CSRF token from
    the form, as a browser posts it)."""
    browser = deployment.browser()
    login = browser.get("/admin/")
    dashboard = browser.submit(login, "", {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert dashboard.url.endswith("/admin/"), dashboard.text[:500]
    return browser
