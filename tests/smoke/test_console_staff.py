"""Staff accounts on the deployment's console, through its own forms with their CSRF tokens:
sign in (a wrong password is refused), a new staff member added with a password, their
password set by an administrator and changed by themselves, and signing out."""

import pytest

from .deployment import ADMIN_EMAIL

pytestmark = pytest.mark.xdist_group("smoke")
NEW_STAFF = "new.operator@summasaas.test"


def sign_in(browser, email: str, password: str):
    return browser.submit(browser.get("/admin/"), "", {"username": email, "password": password})


def test_staff_sign_in_through_the_console_login_form(deployment):
    browser = deployment.browser()
    start = browser.get("/")  # the site's root leads to the console, then to its login
    assert start.url.endswith("/admin/login/?next=/admin/") and len(start.history) == 2
    refused = sign_in(browser, ADMIN_EMAIL, "not-the-password")
    assert refused.status_code == 200 and "/admin/login/" in refused.url
    assert "correct email" in refused.text.lower() or "enter a correct" in refused.text.lower()
    dashboard = sign_in(browser, ADMIN_EMAIL, deployment.env()["ADMIN_PASSWORD"])
    assert dashboard.status_code == 200 and dashboard.url.endswith("/admin/")
    assert "SummaSaaS Ops" in dashboard.text and "sessionid" in browser.secure_cookies
    direct = deployment.browser()  # the console's own login URL, rate-limited like the others
    form = direct.get("/admin/login/")
    assert direct.submit(
        form, "", {"username": ADMIN_EMAIL, "password": deployment.env()["ADMIN_PASSWORD"]}
    ).url.endswith("/admin/")


def test_a_new_staff_member_gets_a_password_changes_it_and_signs_out(staff, deployment):
    added = staff.submit(
        staff.get("/admin/accounts/user/add/"),
        "",
        {"email": NEW_STAFF, "password1": "first-password-42", "password2": "first-password-42"},
    )
    assert added.status_code == 200 and "/change/" in added.url, added.text[:500]
    user = deployment.value("SELECT id FROM accounts_user WHERE email = %s", NEW_STAFF)
    change = staff.get(f"/admin/accounts/user/{user}/change/")
    fields = {"is_staff": "on", "is_superuser": "on"}
    saved = staff.submit(change, "", fields)
    assert saved.status_code == 200, saved.text[:500]
    reset = staff.submit(
        staff.get(f"/admin/accounts/user/{user}/password/"),
        "",
        {"password1": "second-password-42", "password2": "second-password-42"},
    )
    assert reset.status_code == 200
    browser = deployment.browser()
    assert sign_in(browser, NEW_STAFF, "second-password-42").url.endswith("/admin/")
    changed = browser.submit(
        browser.get("/admin/password_change/"),
        "",
        {
            "old_password": "second-password-42",
            "new_password1": "third-password-42",
            "new_password2": "third-password-42",
        },
    )
    assert changed.url.endswith("/admin/password_change/done/") and changed.status_code == 200
    out = browser.submit(browser.get("/admin/"), "/admin/logout/")
    assert out.status_code == 200
    assert browser.get("/admin/").url.endswith("/admin/login/?next=/admin/")
    assert sign_in(deployment.browser(), NEW_STAFF, "third-password-42").url.endswith("/admin/")
