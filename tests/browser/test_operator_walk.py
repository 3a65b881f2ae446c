"""Issue 12's walk, in headless Chromium, on the demo data a first `make run` seeds.

An Operator (not a superuser) opens the dashboard, fixes a failed task in three clicks
(failure card -> failed runs, error readable -> retry from the row -> confirm), runs a job
and sees its outcome without a reload, and opens a version diff. On the way the pages a new
operator looks at first are saved under var/screenshots/, and each shows data in every panel.
Last, the same person (also a template editor) edits the French version of a template and sees
it previewed in light, its own dark and forced dark side by side.
"""

import re

import pytest
from django.core.management import call_command

from apps.console.roles import OPERATOR, TEMPLATE_EDITOR
from apps.jobs.models import TaskRun
from apps.mail.models import EmailTemplate, EmailTemplateTranslation
from tests.browser.support import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    frame,
    french_edited_in_three_panes,
    make_operator,
    shoot,
    sign_in,
)
from tests.console.flaky import fix, flaky_task

pytestmark = pytest.mark.browser


@pytest.fixture
def operator(page, live_server, transactional_db):
    call_command("seed_demo")
    make_operator(OPERATOR, TEMPLATE_EDITOR)
    sign_in(page, live_server.url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    return page


def numbers(page, selector: str) -> list[int]:
    text = page.inner_text(selector)
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


def test_an_operator_fixes_a_failure_in_three_clicks_runs_a_job_and_opens_a_diff(
    operator, live_server
):
    page, base = operator, live_server.url
    flaky_task("walk", api_key="s3cret")  # fails now: the dashboard counts it
    failed = TaskRun.objects.get(name__endswith="flaky_task", state="error")
    fix("walk")  # the cause is fixed; the run still has to be retried

    page.reload()
    # Every panel of the dashboard has something to show.
    assert numbers(page, "[data-testid=tasks-total]")[0] > 100
    assert page.locator("[data-testid=slowest] tbody tr").count() >= 3
    assert page.locator("[data-testid=api-days] tbody tr").count() == 7
    assert page.locator("[data-testid=quota] a").count() >= 2
    assert "sent" in page.inner_text("[data-testid=dashboard]")
    assert page.locator("canvas.chart").count() == 3
    shoot(page, "dashboard.png")

    clicks = 0
    page.click("[data-testid=failures-link]")  # 1: the failure card
    clicks += 1
    page.wait_for_url("**/admin/jobs/taskrun/?state__in=*")
    row = page.locator("#result_list tbody tr", has_text=failed.task_id[:8])
    assert "flaky walk is not fixed yet" in row.inner_text()  # the error, readable in the list
    shoot(page, "task-history.png")
    row.locator("a:has-text('Retry')").click()  # 2: retry from the row
    clicks += 1
    assert "flaky walk is not fixed yet" in page.inner_text("[data-testid=confirm-error]")
    page.click("button[name=confirm]")  # 3: confirm
    clicks += 1
    page.wait_for_url(lambda url: "/change/" in url and f"/{failed.pk}/" not in url)
    retry = TaskRun.objects.get(retry_of=failed.task_id)
    assert retry.state == "complete" and clicks == 3
    assert "COMPLETE" in page.inner_text("#content")
    assert "s3cret" not in page.content()

    page.goto(f"{base}/admin/jobs/periodicrun/schedules/")
    page.evaluate("window.__sameDocument = true")
    job = page.locator("[data-job=history_retention]")
    assert job.locator("[data-testid=last-run]").count() == 1  # history from the demo
    job.locator("button:has-text('Run now')").click()
    job.locator("[data-testid=outcome] [data-state=complete]").wait_for(timeout=45_000)
    assert page.evaluate("window.__sameDocument === true")
    shoot(page, "schedules.png")

    page.goto(f"{base}/admin/mail/outboundemail/")
    assert page.locator("#result_list tbody tr").count() == 50
    shoot(page, "outbox.png")
    page.goto(f"{base}/admin/analytics/dailyrollup/")
    assert page.locator("#result_list tbody tr").count() > 20
    shoot(page, "analytics.png")

    template = EmailTemplate.objects.get(key="welcome")  # the demo edited it once
    page.goto(f"{base}/admin/mail/emailtemplate/{template.pk}/change/")
    page.get_by_role("link", name="Versions", exact=True).click()
    page.locator("a:has-text('Diff with previous')").first.click()
    page.wait_for_url("**/compare/")
    diff = page.inner_text("#content").replace("\xa0", " ")  # difflib's table spaces
    assert "Welcome to SummaSaaS" in diff and "Welcome aboard" in diff  # the edit, both sides
    shoot(page, "version-diff.png")

    # The same template in French: edited, previewed light, own dark and forced dark at once.
    french = EmailTemplateTranslation.objects.get(template=template, language="fr")
    french_edited_in_three_panes(
        page, f"{base}/admin/mail/emailtemplatetranslation/{french.pk}/change/"
    )
    for name in ("light", "dark", "forced"):
        assert "Bienvenue parmi nous" in frame(page, name).content()
    shoot(page, "template-french.png")
