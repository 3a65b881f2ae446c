"""Content-Security-Policy on every page, checked in headless Chromium.

Each page is opened for real (the console, the studio with its three sandboxed previews, the
jobs pages, the customer pages, the public email pages, the API docs): its response carries
the policy, nothing is "Refused to" by it, no script fails, and the page's scripts did their
work (Alpine removed its `x-cloak`, the studio rendered). A control proves the collector sees
a violation when there is one: an injected inline handler is refused and reported.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.mail.models import EmailTemplate
from apps.mail.tokens import make_preferences_token, make_unsubscribe_token
from tests.conftest import load_shipped_templates
from tests.console.flaky import flaky_task
from tests.factories import make_organization

pytestmark = pytest.mark.browser
CUSTOMER_EMAIL, CUSTOMER_PASSWORD = "csp-customer@example.com", "a-long-password-1"


class Watch:
    """The CSP violations and script errors of a page and all its frames."""

    def __init__(self, page):
        self.refused: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text:
            self.refused.append(text)

    def clean(self, where: str) -> None:
        assert self.refused == [], f"{where}: {self.refused}"
        assert self.errors == [], f"{where}: {self.errors}"


def visit(page, url: str, *, console: bool) -> None:
    response = page.goto(url)
    assert response.status < 400, f"{url} answered {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert directive(policy, "script-src").startswith("'self'"), f"{url}: {policy!r}"
    assert "'unsafe-inline'" not in directive(policy, "script-src")
    assert directive(policy, "object-src") == directive(policy, "frame-ancestors") == "'none'"
    assert ("'unsafe-eval'" in policy) is console, f"{url}: eval only where Alpine runs"
    page.wait_for_load_state("networkidle")
    if console:  # Alpine ran: unfold's root element loses x-cloak once Alpine starts
        page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")


def directive(policy: str, name: str) -> str:
    found = re.search(rf"(?:^|; ){re.escape(name)} ([^;]*)", policy)
    return found.group(1) if found else ""


def test_the_console_and_the_studio_run_under_the_policy(admin_page, live_server):
    load_shipped_templates()
    watch = Watch(admin_page)
    base = live_server.url
    staff = User.objects.get(email="staff@summasaas.example")
    flaky_task("csp")  # a failed run: the task page, its attempts and its retry confirmation
    template = EmailTemplate.objects.get(key="welcome")
    pages = [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        "/admin/accounts/organization/add/",
        "/admin/mail/outboundemail/",
        reverse("admin:console_studio_delivery"),
        f"/admin/mail/emailtemplateversion/{template.active_version_id}/change/",
        f"/admin/mail/emailtemplateversion/{template.active_version_id}/compare/",
        "/admin/jobs/taskrun/",
        "/admin/jobs/taskrun/?state__exact=error",
        reverse("admin:jobs_schedules"),
        reverse("admin:jobs_locks"),
        "/admin/jobs/workerheartbeat/",
        "/admin/jobs/periodicrun/",
        "/admin/console/auditentry/",
    ]
    for path in pages:
        visit(admin_page, base + path, console=True)
        watch.clean(path)

    admin_page.goto(f"{base}/admin/jobs/taskrun/?state__exact=error")
    admin_page.click("#result_list a:has-text('Flaky')")
    admin_page.wait_for_load_state("networkidle")
    watch.clean("a task run")

    # The studio: the editor (CodeMirror) and its three sandboxed previews, side by side.
    visit(admin_page, f"{base}/admin/mail/emailtemplate/{template.pk}/change/", console=True)
    admin_page.wait_for_function("document.getElementById('studio-preview').dataset.state === 'ok'")
    admin_page.click("#studio-preview button[data-mode=both]")
    for frame in ("light", "dark", "forced"):
        body = admin_page.frame_locator(f"#studio-frame-{frame}").locator("body")
        assert "Welcome aboard, Ada" in body.inner_text()
    admin_page.locator(".CodeMirror").first.click()
    admin_page.keyboard.type(" edited")
    admin_page.wait_for_function("+document.getElementById('studio-preview').dataset.renders > 1")
    watch.clean("the studio")

    # The pages whose filters submit on change (they had inline onchange handlers).
    visit(admin_page, base + reverse("admin:console_studio_delivery"), console=True)
    admin_page.select_option("select[name=template]", "welcome")
    admin_page.wait_for_url("**template=welcome**")
    watch.clean("the delivery page's template filter")


def test_the_customer_pages_run_under_the_strict_policy(page, live_server, transactional_db):
    load_shipped_templates()
    org = make_organization()
    customer = org.owner
    customer.email, customer.email_verified_at = CUSTOMER_EMAIL, timezone.now()
    customer.set_password(CUSTOMER_PASSWORD)
    customer.save()
    watch = Watch(page)
    base = live_server.url
    preferences = make_preferences_token(address=CUSTOMER_EMAIL)
    unsubscribe = make_unsubscribe_token(address=CUSTOMER_EMAIL, category="digest")
    for path in [
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/verify/resend/",
        f"/email/preferences/{preferences}/",
        f"/email/unsubscribe/{unsubscribe}/",
    ]:
        visit(page, base + path, console=False)
        watch.clean(path)

    visit(page, f"{base}/admin/login/", console=True)  # the console's own login page
    watch.clean("the console's login page")

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", CUSTOMER_EMAIL)
    page.fill("input[name=password]", CUSTOMER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/accounts/")
    visit(page, f"{base}/accounts/", console=False)
    assert page.locator("[role=progressbar]").count() == 1
    watch.clean("the account page")

    visit(page, f"{base}/api/docs", console=False)
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    watch.clean("the API docs")


def test_an_injected_inline_handler_is_refused_and_reported(page, live_server, db):
    watch = Watch(page)
    visit(page, f"{live_server.url}/accounts/login/", console=False)
    page.evaluate(
        """() => document.body.insertAdjacentHTML('beforeend',
             '<img src="data:," onload="document.title = \\'injected\\'">')"""
    )
    page.wait_for_timeout(300)
    assert page.title() != "injected"
    assert any("inline event handler" in text for text in watch.refused), watch.refused
