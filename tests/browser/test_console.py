import os

import pytest
from django.conf import settings
from django.utils import timezone

from apps.demo.seed.customers import customers_seed

pytestmark = pytest.mark.browser


def demo_customers() -> None:
    """The demo's three organizations with their plans and usage (`seed_demo`'s first part;
    these pages need nothing of its 90 days of history, which take 15 s to write)."""
    customers_seed(now=timezone.now())


def test_staff_log_in_and_see_the_seeded_organizations(admin_page, live_server):
    demo_customers()
    admin_page.goto(f"{live_server.url}/admin/accounts/organization/")
    rows = admin_page.locator("#result_list tbody tr")
    assert rows.count() == 3
    text = admin_page.locator("#result_list").inner_text()
    for name in ("Acme Writers", "Globex Research", "Initech Legal"):
        assert name in text
    assert "SummaSaaS Ops" in admin_page.title()
    shots = settings.BASE_DIR / "var" / "screenshots"
    os.makedirs(shots, exist_ok=True)
    admin_page.screenshot(path=str(shots / "organizations.png"), full_page=True)


def test_a_quota_badge_marks_the_organization_at_its_limit(admin_page, live_server):
    demo_customers()
    admin_page.goto(f"{live_server.url}/admin/billing/usagerecord/?closed_at__isnull=True")
    row = admin_page.locator("#result_list tbody tr", has_text="Globex Research")
    assert "100.0 %" in row.inner_text()
