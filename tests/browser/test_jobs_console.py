"""The jobs console as an operator uses it, in headless Chromium."""

import datetime as dt
import os

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Organization
from apps.analytics.models import DailyRollup
from apps.billing.models import UsageRecord
from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.mail.models import EmailEvent, OutboundEmail
from tests.console.flaky import fix, flaky_task
from tests.factories import make_organization

pytestmark = pytest.mark.browser
SHOTS = settings.BASE_DIR / "var" / "screenshots"


def shoot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_operator_retries_a_failed_task_and_sees_it_complete(admin_page, live_server):
    flaky_task("browser", api_key="s3cret")
    failed = TaskRun.objects.get(state="error")
    fix("browser")

    admin_page.goto(f"{live_server.url}/admin/jobs/taskrun/?state__exact=error")
    shoot(admin_page, "jobs-failed-runs.png")
    admin_page.click("text=Retry all matching")  # carries the filter to its confirmation
    count = admin_page.locator("[data-testid=matching-count]").inner_text()
    assert "1 failed run matches" in count
    shoot(admin_page, "retry-matching.png")
    admin_page.go_back()
    admin_page.click("#result_list a:has-text('Flaky')")  # the task in words
    admin_page.wait_for_url(f"**/jobs/taskrun/{failed.pk}/change/")
    assert "RuntimeError" in admin_page.content()
    assert "s3cret" not in admin_page.content()  # sensitive arguments stay hidden
    admin_page.click("text=Retry with the same arguments")
    admin_page.click("button[name=confirm]")

    admin_page.wait_for_url(lambda url: f"/{failed.pk}/" not in url and "/change/" in url)
    retry = TaskRun.objects.get(retry_of=failed.task_id)
    assert retry.state == "complete"
    assert "State\nCOMPLETE" in admin_page.locator("#content").inner_text()
    admin_page.click("text=Runs of this task")
    timeline = admin_page.locator("[data-testid=timeline]").inner_text()
    assert "first run" in timeline and "retry by staff@summasaas.example" in timeline
    shoot(admin_page, "task-run-detail.png")


def test_an_operator_runs_a_periodic_job_now_from_the_schedules_page(
    admin_page, live_server, settings
):
    settings.CONSOLE_LIVE_SECONDS = 1
    admin_page.goto(f"{live_server.url}/admin/jobs/periodicrun/schedules/")
    admin_page.evaluate("window.__sameDocument = true")
    row = admin_page.locator("[data-job=history_retention]")
    assert "At 03:30 (UTC)" in row.inner_text()
    row.locator("button:has-text('Run now')").click()
    # The outcome appears in the row, without a reload (issue 12.8).
    row.locator("[data-testid=outcome] [data-state=complete]").wait_for()
    assert "done" in row.locator("[data-testid=outcome]").inner_text().lower()
    assert admin_page.evaluate("window.__sameDocument === true")
    row.locator("[data-testid=last-run] >> text=Succeeded").wait_for()  # the live update
    assert PeriodicRun.objects.get(job="history_retention").status == "succeeded"
    # The outcome stays where the operator looked, through the live updates that follow.
    updated = admin_page.locator("[data-testid=live-status]").inner_text()
    admin_page.wait_for_function(
        "was => document.querySelector('[data-testid=live-status]').innerText !== was", arg=updated
    )
    assert "done" in row.locator("[data-testid=outcome]").inner_text().lower()
    shoot(admin_page, "jobs-run-now.png")


def _seed_dashboard() -> None:
    now = timezone.now()
    for name, used in (("Globex Research", 10_000), ("Acme Writers", 8_500), ("Initech", 900)):
        UsageRecord.objects.create(
            organization=make_organization(name=name),
            period_start=now.date().replace(day=1),
            characters_used=used,
            characters_limit=10_000,
        )
    for i in range(6):
        flaky_task(f"dash-{i}")
    fix("dash-ok")
    for _ in range(12):
        flaky_task("dash-ok")
    org = Organization.objects.get(name="Initech")
    for day in range(7):
        start = (now - dt.timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        DailyRollup.objects.create(
            period_start=start,
            organization=org,
            mode="bullets",
            count=1000 + 90 * day,
            success_count=990 + 88 * day,
            p50_ms=180,
            p95_ms=420 + 5 * day,
            input_characters=10**6,
            output_characters=10**5,
        )
        for n in range(5 + day):
            email = OutboundEmail.objects.create(
                template_key="welcome",
                to=f"u{day}-{n}@example.com",
                status="sent",
                sent_at=start + dt.timedelta(hours=9),
                created_at=start,
            )
            if n == 0:
                EmailEvent.objects.create(
                    email=email,
                    esp_name="test",
                    event_type="bounced",
                    recipient=email.to,
                    occurred_at=start + dt.timedelta(hours=10),
                    fingerprint=f"b{day}",
                )


def test_the_dashboard_shows_every_figure_with_links(admin_page, live_server):
    _seed_dashboard()
    admin_page.goto(f"{live_server.url}/admin/")
    dashboard = admin_page.locator("[data-testid=dashboard]")
    assert admin_page.locator("[data-testid=tasks-total]").inner_text() == "18"
    assert "Globex Research" in admin_page.locator("[data-testid=quota]").inner_text()
    assert "Flaky" in admin_page.locator("[data-testid=slowest]").inner_text()
    assert "1,000" in admin_page.locator("[data-testid=api-days]").inner_text()  # grouped
    assert dashboard.locator("canvas").count() == 3
    admin_page.wait_for_timeout(300)  # charts draw on load
    shoot(admin_page, "jobs-dashboard.png")
    admin_page.click("text=Tasks, last 24 h")
    admin_page.wait_for_url("**/admin/jobs/taskrun/?created_at_from_0=*")
    assert admin_page.locator("#result_list tbody tr").count() == 18
    WorkerHeartbeat.objects.create(consumer="web-1:42", host="web-1", pid=42, workers=4)
    WorkerHeartbeat.objects.create(
        consumer="web-2:7",
        host="web-2",
        pid=7,
        workers=4,
        last_seen=timezone.now() - dt.timedelta(minutes=5),
    )
    admin_page.goto(f"{live_server.url}/admin/jobs/workerheartbeat/")
    assert admin_page.locator("[data-status=dead]").count() == 1
    shoot(admin_page, "jobs-consumers.png")
