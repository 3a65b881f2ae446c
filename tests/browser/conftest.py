import os

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop here

import pytest
from playwright.sync_api import sync_playwright

from apps.accounts.services import admin_ensure
from tests.browser.support import open_studio, settle, sign_in

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
    sign_in(page, live_server.url, STAFF_EMAIL, STAFF_PASSWORD)
    return page


@pytest.fixture
def studio(admin_page, live_server):
    """The welcome template open in the studio, its first preview rendered."""
    template = open_studio(admin_page, live_server.url, height=1000)
    yield admin_page, template
    settle(admin_page)
