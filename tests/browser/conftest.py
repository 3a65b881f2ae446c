import os

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop here

import pytest
from playwright.sync_api import sync_playwright

from apps.accounts.services import admin_ensure

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STAFF_EMAIL, STAFF_PASSWORD = "staff@summasaas.example", "staff-password-123"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def admin_page(page, live_server, transactional_db):
    """A page logged in to the console as a superuser."""
    admin_ensure(email=STAFF_EMAIL, password=STAFF_PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", STAFF_EMAIL)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
