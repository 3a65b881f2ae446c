"""A new customer in Chromium: signup, emails in a real SMTP sink, verify, key, upload, a
summary through the API, usage rising; then staff see the call rolled up and the emails."""

import datetime as dt
import email
import re
from email import policy

import httpx
import pytest
from django.utils import timezone

from apps.accounts.services import admin_ensure
from apps.analytics.models import HourlyRollup, InteractionLog
from apps.analytics.services import interactions_roll_up
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.conftest import load_shipped_templates, wait_until
from tests.factories import make_plan
from tests.mail.conftest import smtp_sink  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
ADDRESS = "walker@example.com"
TEXT = (
    "The walk signs up a customer. The customer verifies the address from the email. "
    "A key is made once and shown once. The document is uploaded from the account page. "
    "The summary comes back through the API."
)


def _bodies(sink) -> dict[str, str]:
    """Subject -> plain-text body of every message the sink received."""
    found = {}
    for raw in sink.messages:
        message = email.message_from_bytes(raw, policy=policy.default)
        found[str(message["Subject"])] = message.get_body(("plain",)).get_content()
    return found


def test_a_new_customer_signs_up_verifies_calls_the_api_and_staff_see_it(
    page,
    live_server,
    transactional_db,
    smtp_sink,  # noqa: F811
    tmp_path,
):
    load_shipped_templates()
    make_plan("free", 10_000)  # production has its plans; a new organization starts on Free
    sink, _ = smtp_sink()
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", ADDRESS)
    page.fill("input[name=password]", "a-long-password-1")
    page.fill("input[name=organization_name]", "Walker Labs")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/accounts/signup/done/")  # the same answer for a taken address
    assert f"We sent a message to {ADDRESS}" in page.content()

    wait_until(lambda: len(sink.messages) >= 2, message="welcome + verification never arrived")
    bodies = _bodies(sink)
    verify = next(b for b in bodies.values() if "/accounts/verify/" in b)
    link = re.search(r"https?://\S+/accounts/verify/\S+/", verify).group(0)
    page.goto(base + link[link.index("/accounts/") :])
    assert "Your address is verified" in page.content()
    page.click("text=Open your account")  # signing in first
    page.fill("input[name=username]", ADDRESS)
    page.fill("input[name=password]", "a-long-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/accounts/")
    page.fill("input[name=name]", "walk key")
    page.click("text=Create a key")
    key = page.inner_text("#new-key").strip()
    assert key.startswith("ss_")
    # The API docs, with nothing fetched from another site (it works offline).
    elsewhere = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base)
            else (elsewhere.append(route.request.url), route.abort())
        ),
    )
    page.click("header >> text=API docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert elsewhere == [] and "/api/v1/summaries" in page.content()
    page.unroute("**/*")
    page.goto(f"{base}/accounts/")
    source = tmp_path / "notes.txt"
    source.write_text(TEXT)
    page.set_input_files("input[name=file]", str(source))
    page.click("text=Upload")
    assert "Uploaded notes.txt" in page.content()
    document_id = int(re.search(r"id (\d+)\)", page.content()).group(1))

    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    created = api.post(
        "/api/v1/summaries", json={"mode": "bullet_points", "document_id": document_id}
    )
    assert created.status_code == 202, created.text
    summary = wait_until(
        lambda: (
            (r := api.get(f"/api/v1/summaries/{created.json()['id']}").json())["status"]
            == "completed"
            and r
        )
    )
    assert summary["summary"].startswith("• ")
    page.reload()
    assert int(page.get_attribute("#usage", "data-used")) == len(TEXT)
    # The plan page: the plans, the usage, how to upgrade; and the welcome email lands here too.
    page.click("text=See the plans and how to upgrade")
    page.wait_for_url(f"{base}/accounts/plan/")
    assert "Walker Labs is on the <strong>Free</strong> plan" in page.content()
    assert f"{len(TEXT):,} of 10,000 characters used" in page.content()
    assert page.is_visible("text=How to change plan")
    welcome = next(b for b in bodies.values() if "Open your dashboard" in b)
    dashboard = re.search(r"Open your dashboard \((https?://\S+)\)", welcome).group(1)
    page.goto(base + dashboard[dashboard.index("/accounts/") :])
    assert page.url == f"{base}/accounts/"  # the customer's account, not the staff login

    wait_until(InteractionLog.objects.exists, message="the API call was never logged")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    interactions_roll_up(model=HourlyRollup, start=hour, end=hour + dt.timedelta(hours=1))
    admin_ensure(email=STAFF_EMAIL, password=STAFF_PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("input[name=username]", STAFF_EMAIL)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/analytics/hourlyrollup/")
    assert "Walker Labs" in page.content()
    page.goto(f"{base}/admin/mail/outboundemail/?q={ADDRESS}")
    assert ADDRESS in page.content()
