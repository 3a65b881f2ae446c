"""Issue 12's walk, in headless Chromium, on the demo data a first `make run` seeds.

An Operator (not a superuser) opens the dashboard, fixes a failed task in three clicks
(failure card -> failed runs, error readable -> retry from the row -> confirm), runs a job
and sees its outcome without a reload, and opens a version diff. On the way the pages a new
operator looks at first are saved under var/screenshots/, and each shows data in every panel.
Last, the same person (also a template editor) edits the French version of a template and sees
it previewed in light, its own dark and forced dark side by side.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.console.roles import OPERATOR, TEMPLATE_EDITOR
from apps.jobs.models import TaskRun
from apps.mail.models import EmailTemplate, EmailTemplateTranslation
from tests.browser.test_studio import frame, french_edited_in_three_panes
from tests.console.flaky import fix, flaky_task
from tests.factories import make_user

pytestmark = pytest.mark.browser
SHOTS = settings.BASE_DIR / "var" / "screenshots"
EMAIL, PASSWORD = "olga.operator@summasaas.example", "operator-password-123"


def shoot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.wait_for_timeout(300)  # charts animate in
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.fixture
def operator(page, live_server, transactional_db):
    call_command("seed_demo")
    user = make_user(email=EMAIL, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(*Group.objects.filter(name__in=[OPERATOR, TEMPLATE_EDITOR]))
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def numbers(page, selector: str) -> list[int]:
    text = page.inner_text(selector)
    return [int(n.replace(",", "")) for n in __import__("re").findall(r"\d[\d,]*", text)]


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


# --- issue 19's walk: actions that do what they say, in Chromium, as an Operator -------------


@pytest.fixture
def olga(page, live_server, transactional_db, settings):
    """An Operator (not a superuser) signed in, a provider that refuses listed addresses, the
    shipped templates."""
    from tests.conftest import load_shipped_templates
    from tests.console import refusing

    settings.MAILERS = {"default": {"BACKEND": "tests.console.refusing.RefusingBackend"}}
    refusing.REFUSED.clear()
    load_shipped_templates()
    user = make_user(email=EMAIL, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(*Group.objects.filter(name__in=[OPERATOR]))
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    refusing.REFUSED.clear()


def test_an_operator_fixes_a_failed_email_in_three_clicks_and_resends_an_unknown_one(
    olga, live_server
):
    from apps.mail.models import OutboundEmail
    from apps.mail.services import send_email
    from tests.console import refusing

    page, base = olga, live_server.url
    refusing.REFUSED.add("ada@example.com")
    failed = send_email(template_key="welcome", to="ada@example.com", context={"name": "Ada"})
    failed.refresh_from_db()
    assert failed.status == "failed"
    refusing.REFUSED.clear()  # the address works again: the email has to be retried

    page.reload()
    clicks = 0
    page.click("[data-testid=emails-failed]")  # 1: "1 failed: retry it" on the dashboard
    clicks += 1
    page.wait_for_url("**/admin/mail/outboundemail/?status__exact=failed*")
    row = page.locator("#result_list tbody tr", has_text="ada@example.com")
    row.locator("a:has-text('Retry')").click()  # 2: the row's Retry opens its confirmation
    clicks += 1
    page.locator("#dialog button[type=submit]").click()  # 3: confirm
    clicks += 1
    page.wait_for_url(f"**/admin/mail/outboundemail/{failed.pk}/change/")
    assert clicks == 3
    assert "Sent" in page.locator("#content").inner_text()
    failed.refresh_from_db()
    assert failed.status == "sent"
    shoot(page, "email-retried.png")

    unknown = send_email(template_key="welcome", to="bob@example.com", context={"name": "Bob"})
    OutboundEmail.objects.filter(pk=unknown.pk).update(status="unknown")
    page.goto(f"{base}/admin/mail/outboundemail/{unknown.pk}/change/")
    page.locator("a:has-text('Resend')").first.click()
    page.locator("#dialog button[type=submit]").click()
    page.wait_for_url(lambda url: "/change/" in url and f"/{unknown.pk}/" not in url)
    copy = OutboundEmail.objects.exclude(pk__in=[failed.pk, unknown.pk]).get()
    assert copy.to == "bob@example.com" and copy.status == "sent"
    assert "Sent" in page.locator("#content").inner_text()


def test_an_operator_revokes_a_queued_task_and_edits_a_tasks_arguments_to_run_it_again(
    olga, live_server
):
    from huey.contrib.djhuey import HUEY

    from apps.jobs.tasks import jobs_canary_task

    page, base = olga, live_server.url
    waiting = jobs_canary_task.s(seconds=0)
    HUEY.storage.enqueue(HUEY.serialize_task(waiting))  # in the queue, no consumer yet
    queued = TaskRun.objects.create(
        task_id=waiting.id, name="apps.jobs.tasks.jobs_canary_task", kwargs={"seconds": 0}
    )
    page.goto(f"{base}/admin/jobs/taskrun/{queued.pk}/change/")
    page.locator("a:has-text('Revoke')").first.click()
    page.click("button[name=confirm]")
    page.wait_for_url(f"**/admin/jobs/taskrun/{queued.pk}/change/")
    assert "REVOKED" in page.locator("#content").inner_text().upper()
    assert page.locator("a:has-text('Revoke')").count() == 0  # not offered twice
    assert HUEY.is_revoked(waiting.id)
    HUEY.storage.flush_queue()

    jobs_canary_task(token="walk", fail=True)
    failed = TaskRun.objects.get(state="error")
    page.goto(f"{base}/admin/jobs/taskrun/{failed.pk}/change/")
    page.locator("a:has-text('Run again with edited arguments')").first.click()
    page.fill("#id_arguments", '{"args": [], "kwargs": {"token": "walk", "fail": "no"}}')
    page.click("button[name=confirm]")
    assert "fail must be true or false, not a string." in page.inner_text(
        "[data-testid=rerun-errors]"
    )
    page.fill("#id_arguments", '{"args": [], "kwargs": {"token": "walk"}}')
    page.click("button[name=confirm]")
    page.wait_for_url(lambda url: "/change/" in url and f"/{failed.pk}/" not in url)
    copy = TaskRun.objects.get(retry_of=failed.task_id)
    assert copy.state == "complete" and copy.kwargs == {"token": "walk"}
    assert "COMPLETE" in page.locator("#content").inner_text().upper()
    shoot(page, "task-rerun.png")


def test_an_operator_runs_a_job_now_and_the_scheduled_run_still_happens(olga, live_server):
    import datetime as dt

    import time_machine

    from apps.jobs.models import PeriodicRun
    from tests.jobs.test_schedule_run_now import scheduled_run

    page, base = olga, live_server.url
    # 02:00 UTC: history_retention (03:30, covering its own day) has not run today yet.
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC), tick=True):
        page.goto(f"{base}/admin/jobs/periodicrun/schedules/")
        job = page.locator("[data-job=history_retention]")
        assert "Wed 25 Nov, 03:30" in job.locator("[data-testid=next-run]").inner_text()
        job.locator("button:has-text('Run now')").click()
        job.locator("[data-testid=outcome] [data-state=complete]").wait_for(timeout=45_000)
        assert PeriodicRun.objects.get(job="history_retention").period_key == "2026-11-24"
        page.reload()
        job = page.locator("[data-job=history_retention]")
        assert "Wed 25 Nov, 03:30" in job.locator("[data-testid=next-run]").inner_text()
    scheduled_run("history_retention", dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC))
    today = PeriodicRun.objects.get(job="history_retention", period_key="2026-11-25")
    assert today.status == "succeeded" and not today.forced  # the scheduled run happened


def test_an_operator_opens_the_percentiles_page_and_a_tasks_slowest_runs(olga, live_server):
    flaky_task("fast")  # a failure, then runs of its own
    fix("fast")
    for _ in range(5):
        flaky_task("fast")
    page = olga
    page.reload()
    page.click("[data-testid=latency-link]")
    page.wait_for_url("**/admin/jobs/taskrun/latency/")
    page.locator("[data-window=hour]").click()
    hour = page.locator("[data-latency-window=hour]")
    assert "Flaky" in hour.inner_text()
    hour.locator("a:has-text('Flaky')").click()
    page.wait_for_url("**/admin/jobs/taskrun/latency/tests.console.flaky.flaky_task/")
    hour = page.locator("[data-testid=slowest-runs] [data-latency-window=hour]")
    slowest = hour.locator("table").first  # the slowest runs (then the longest waits)
    assert slowest.locator("[data-run]").count() == 6
    shoot(page, "latency.png")
    slowest.locator("[data-run] a").first.click()  # one click to the slowest run itself
    page.wait_for_url("**/admin/jobs/taskrun/*/change/")


def test_an_operator_takes_the_browsers_time_zone_for_the_schedules(
    browser, live_server, transactional_db
):
    user = make_user(email=EMAIL, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(*Group.objects.filter(name=OPERATOR))
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/jobs/periodicrun/schedules/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.inner_text("[data-testid=zone]") == "UTC"
    page.click("text=Use my browser's zone: Europe/Paris")
    page.wait_for_url("**/admin/jobs/periodicrun/schedules/")
    assert page.inner_text("[data-testid=zone]") == "Europe/Paris"
    assert page.locator("[data-testid=week] [data-day]").count() == 7
    shoot(page, "schedules-week.png")
    context.close()
