"""Issue 19's walk, in headless Chromium: actions that do what they say, done by an Operator
(not a superuser). A failed email fixed in three clicks and an unknown one resent; a queued task
revoked and a failed one run again with edited arguments; a job run now that leaves its
scheduled run to happen; the percentiles page and a task's slowest runs; the schedules in the
browser's time zone.
"""

import pytest

from apps.console.roles import OPERATOR
from apps.jobs.models import TaskRun
from tests.browser.support import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    make_operator,
    shoot,
    sign_in,
)
from tests.conftest import load_shipped_templates
from tests.console import refusing
from tests.console.flaky import fix, flaky_task

pytestmark = pytest.mark.browser


@pytest.fixture
def olga(page, live_server, transactional_db, settings):
    """An Operator (not a superuser) signed in, a provider that refuses listed addresses, the
    shipped templates."""
    settings.MAILERS = {"default": {"BACKEND": "tests.console.refusing.RefusingBackend"}}
    refusing.REFUSED.clear()
    load_shipped_templates()
    make_operator(OPERATOR)
    sign_in(page, live_server.url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
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
    make_operator(OPERATOR)
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/jobs/periodicrun/schedules/")
    page.fill("input[name=username]", OPERATOR_EMAIL)
    page.fill("input[name=password]", OPERATOR_PASSWORD)
    page.click("button[type=submit]")
    assert page.inner_text("[data-testid=zone]") == "UTC"
    page.click("text=Use my browser's zone: Europe/Paris")
    page.wait_for_url("**/admin/jobs/periodicrun/schedules/")
    assert page.inner_text("[data-testid=zone]") == "Europe/Paris"
    assert page.locator("[data-testid=week] [data-day]").count() == 7
    shoot(page, "schedules-week.png")
    context.close()
