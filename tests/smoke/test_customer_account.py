"""A customer's way in and their account pages on the deployment, as a browser does it: signup,
the verification link from the email, sign in, the account page's forms (API key, language,
documents), a new verification link, sign out, and a forgotten password reset by email."""

from datetime import UTC, datetime

import pytest

from .customer import EMAIL, ORGANIZATION, links, sign_in

pytestmark = pytest.mark.xdist_group("smoke")


def test_signup_verification_link_and_sign_in(deployment, customer):
    assert customer.steps["signup"].status_code == 200  # "check your email", whoever you are
    assert customer.steps["verify"].status_code == 200, customer.steps["verify"].text[:500]
    account = customer.steps["login"]
    assert account.status_code == 200 and account.url.endswith("/accounts/")
    assert ORGANIZATION in account.text and "Your address is verified." in account.text
    assert {"sessionid", "csrftoken"} <= customer.browser.secure_cookies  # HTTPS-only cookies
    verified = deployment.value(
        "SELECT email_verified_at FROM accounts_user WHERE email = %s", EMAIL
    )
    assert verified is not None
    # A fresh deployment has plans (a data migration makes them): the Free plan, not a 402.
    assert "<strong>Free</strong> plan: 10,000 characters a month." in account.text
    raw = customer.verification.raw
    assert b"List-Unsubscribe" not in raw  # transactional: no unsubscribe header


def test_the_account_page_forms_change_language_and_keep_documents(deployment, customer):
    browser = customer.browser
    saved = browser.submit(browser.get("/accounts/"), "/accounts/language/", {"language": "fr"})
    assert saved.status_code == 200
    assert deployment.value("SELECT language FROM accounts_user WHERE email = %s", EMAIL) == "fr"
    browser.submit(browser.get("/accounts/"), "/accounts/language/", {"language": "en"})
    page = browser.get("/accounts/")
    upload = browser.submit(
        page, "/accounts/documents/", files={"file": ("notes.md", b"# Notes\n\nSmoke test.\n")}
    )
    assert upload.status_code == 200 and "notes.md" in upload.text, upload.text[:500]
    document = deployment.value(
        "SELECT d.id FROM summaries_document d JOIN accounts_organization o "
        "ON o.id = d.organization_id WHERE o.name = %s AND d.original_name = 'notes.md'",
        ORGANIZATION,
    )
    deleted = browser.submit(upload, f"/accounts/documents/{document}/delete/")
    assert deleted.status_code == 200 and "notes.md" not in browser.get("/accounts/").text
    assert not deployment.sql("SELECT 1 FROM summaries_document WHERE id = %s", document)


def test_a_key_revoked_on_the_account_page_stops_working(deployment, customer):
    browser = customer.browser
    made = browser.submit(browser.get("/accounts/"), "/accounts/keys/", {"name": "short-lived"})
    key = made.text.split('id="new-key">', 1)[1].split("<", 1)[0]
    api = deployment.machine()
    api.session.headers["Authorization"] = f"Bearer {key}"
    assert api.get("/api/v1/usage").status_code == 200
    key_id = deployment.value("SELECT id FROM api_apikey WHERE name = 'short-lived'")
    revoked = browser.submit(made, f"/accounts/keys/{key_id}/revoke/")
    assert revoked.status_code == 200 and "Revoked short-lived" in revoked.text
    refused = api.get("/api/v1/usage")
    assert refused.status_code == 401 and refused.json()["code"], refused.text


def test_asking_for_a_new_verification_link_answers_the_same_for_everyone(deployment, customer):
    page = customer.browser.get("/accounts/verify/resend/")
    answer = customer.browser.submit(page, "/accounts/verify/resend/", {"email": EMAIL})
    assert answer.status_code == 200 and "If that address has an account" in answer.text


def test_a_forgotten_password_is_reset_with_the_emailed_link(deployment):
    browser, email, new_password = deployment.browser(), "reset@smoke.example", "a-new-password-42"
    deployment.manage("shell", "-c", SETUP_USER.format(email=email))
    page = browser.get("/accounts/password_reset/")
    sent = browser.submit(page, "/accounts/password_reset/", {"email": email})
    assert sent.status_code == 200 and sent.url.endswith("/accounts/password_reset/done/")
    mail = deployment.sink.wait_for(email, "Reset your")
    (link,) = links(mail, "/accounts/reset/")
    form = browser.get(link)  # Django swaps the token for a session and redirects
    assert form.status_code == 200 and form.history, form.text[:500]
    fields = {"new_password1": new_password, "new_password2": new_password}
    done = browser.submit(form, "", fields)
    assert done.status_code == 200 and done.url.endswith("/accounts/reset/done/")
    signed_in = sign_in(deployment.browser(), email, new_password)
    assert signed_in.url.endswith("/accounts/"), signed_in.text[:500]
    # The link works once.
    assert "/accounts/reset/done/" not in deployment.browser().get(link).url


def test_staff_reset_a_forgotten_console_password_by_email(deployment):
    browser = deployment.browser()
    login = browser.get("/admin/login/")
    assert "/admin/password_reset/" in login.text  # the console's "forgotten your password?"
    page = browser.get("/admin/password_reset/")
    sent = browser.submit(page, "/admin/password_reset/", {"email": "ops@summasaas.test"})
    assert sent.status_code == 200
    assert links(deployment.sink.wait_for("ops@summasaas.test", "Reset your"), "/reset/")


def test_signing_out_ends_the_session(deployment, customer):
    # `customer` signs the customer up: without it this test passed only when another test
    # had asked for them first.
    browser = deployment.browser()
    sign_in(browser, EMAIL, "a-long-customer-password-42")
    out = browser.submit(browser.get("/accounts/"), "/accounts/logout/")
    assert out.status_code == 200 and out.url.endswith("/accounts/login/")
    assert browser.get("/accounts/").url.endswith("/accounts/login/?next=/accounts/")


SETUP_USER = """
from apps.accounts.services import customer_signup, user_email_verify
user = customer_signup(email="{email}", password="an-old-password-42", organization_name="Reset Co")
"""


def test_the_monthly_usage_report_is_emailed_with_a_link_that_downloads_it(deployment, customer):
    month = datetime.now(UTC).strftime("%Y-%m")
    deployment.manage(
        "jobs_run",
        "usage_reports",
        "--period",
        month,
        "--force",
        "--enqueue",
        "--by",
        "ops@summasaas.test",
    )
    report = deployment.sink.wait_for(EMAIL, "usage report")
    (link,) = links(report, "/reports/")
    download = deployment.browser().get(link)  # the link is the credential
    assert download.status_code == 200, download.text[:300]
    assert download.content.decode().startswith("organization,month,mode,requests,characters")
    assert ORGANIZATION in download.text
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in report.raw  # not transactional
    assert deployment.browser().get(link.replace("/reports/", "/reports/x")).status_code == 404


def test_the_plan_page_shows_the_plans_and_the_root_leads_to_the_account(deployment, customer):
    browser = customer.browser
    assert 'href="/accounts/plan/"' in browser.get("/accounts/").text
    page = browser.get("/accounts/plan/")
    assert page.status_code == 200 and "How to change plan" in page.text
    assert "<td><strong>Business</strong></td>" in page.text and "Your plan" in page.text
    assert browser.get("/").url.endswith("/accounts/")  # not the staff console's login
