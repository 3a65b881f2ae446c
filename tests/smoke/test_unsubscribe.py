"""One-click unsubscribe (RFC 8058) and the preferences page on the deployment: an alert email
the product sent on its own (a customer crossing 80 % of the month's quota through the API)
carries List-Unsubscribe headers; the mail client's POST, with no cookie and no CSRF token,
unsubscribes that category; the preferences page behind the email's link saves a person's
choices through its own form (CSRF token included)."""

import re

import pytest

from .deployment import SITE_URL

pytestmark = pytest.mark.xdist_group("smoke")
OWNER = "alerted@smoke.example"
# Set-up only (an operator's shell): a verified customer at 79 % of the Free plan, with a key.
SETUP = f"""
from apps.accounts.services import customer_signup, user_email_verify
from apps.api.keys import api_key_create
from apps.billing.services import usage_reserve
user = customer_signup(email="{OWNER}", password="pw-alerted-42", organization_name="Alerted")
user_email_verify(user_id=user.pk, email=user.email)
organization = user.owned_organizations.get()
usage_reserve(organization=organization, characters=7_900)
print(api_key_create(organization=organization, name="smoke", user=user)[1])
"""


@pytest.fixture(scope="module")
def alert(deployment):
    """The 80 % alert, sent because an API call crossed the threshold."""
    key = deployment.manage("shell", "-c", SETUP).strip().splitlines()[-1]
    api = deployment.machine()
    api.session.headers["Authorization"] = f"Bearer {key}"
    text = "Alerts come once a month for each threshold a customer crosses. " * 4
    assert api.post("/api/v1/summaries", json={"mode": "brief", "text": text}).status_code == 201
    return deployment.sink.wait_for(OWNER, "% of this month's characters")


def test_a_mail_clients_one_click_post_unsubscribes_without_a_cookie(deployment, alert):
    raw = alert.raw.replace(b"\r\n ", b" ").replace(b"\n ", b" ")  # unfolded
    assert re.search(rb"^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$", raw, re.M)
    header = re.search(rb"^List-Unsubscribe: (.+?)\r?$", raw, re.M).group(1).decode()
    (link,) = re.findall(r"<(https://[^>]+)>", header)
    assert link.startswith(f"{SITE_URL}/email/unsubscribe/")
    # RFC 8058: the client POSTs the body "List-Unsubscribe=One-Click" to the https URI.
    answer = deployment.machine().post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text[:300]
    subscribed = deployment.value(
        "SELECT subscribed FROM mail_emailpreference WHERE address = %s AND category = 'alerts'",
        OWNER,
    )
    assert subscribed is False
    page = deployment.browser().get(link)  # the link opened in a browser asks first
    assert page.status_code == 200 and "Unsubscribe from alerts emails?" in page.text


def test_the_preferences_page_saves_a_persons_choices_with_its_form(deployment, alert):
    browser = deployment.browser()
    (link,) = re.findall(
        r"<(https://[^>]+/email/unsubscribe/[^>]+)>", alert.message["List-Unsubscribe"]
    )
    unsubscribe_page = browser.get(link)
    preferences = re.search(r'href="(/email/preferences/[^"]+)"', unsubscribe_page.text).group(1)
    page = browser.get(preferences)
    assert page.status_code == 200 and OWNER in page.text
    saved = browser.submit(page, "", {"alerts": "on", "reports": None, "digest": "on"})
    assert saved.status_code == 200 and "Your choices are saved." in saved.text
    rows = dict(
        deployment.sql(
            "SELECT category, subscribed FROM mail_emailpreference WHERE address = %s", OWNER
        )
    )
    assert rows == {"alerts": True, "reports": False, "digest": True}
    # Without the page's CSRF token, another site cannot change them.
    forged = deployment.machine().post(preferences, data={"reports": "on"})
    assert forged.status_code == 403
