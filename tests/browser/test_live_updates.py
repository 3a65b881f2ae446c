"""Live updates in place (issue 12.9): the dashboard, task history, consumers, schedules and
outbox show new data without reloading the page, keep scroll and open filters, and pause."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.mail.services import send_email
from tests.conftest import load_shipped_templates

pytestmark = pytest.mark.browser
_n = itertools.count(1)


@pytest.fixture
def live(settings):
    settings.CONSOLE_LIVE_SECONDS = 1


def add_runs(count: int, state: str = "complete", ago: float = 0) -> list[str]:
    now = timezone.now() - dt.timedelta(minutes=ago)
    ids = [f"{next(_n):08x}-live-{state}" for _ in range(count)]
    TaskRun.objects.bulk_create(
        TaskRun(
            task_id=task_id,
            name="apps.jobs.tasks.jobs_canary_task",
            state=state,
            created_at=now,
            duration=0.5,
        )
        for task_id in ids
    )
    return ids


def stays(page) -> None:
    """Mark the document: a reload would lose the mark."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_the_dashboard_updates_its_cards_and_charts_in_place(admin_page, live_server, live):
    page = admin_page
    page.goto(f"{live_server.url}/admin/")
    stays(page)
    page.evaluate("window.__canvas = document.querySelector('canvas.chart')")
    before = page.text_content("[data-testid=tasks-total]").strip()
    add_runs(3, state="error")
    page.wait_for_function(
        f"document.querySelector('[data-testid=tasks-total]').textContent.trim() !== '{before}'"
    )
    assert page.text_content("[data-testid=tasks-total]").strip() == str(int(before) + 3)
    assert same_document(page)
    # The chart kept its canvas and drew the new figures into it.
    assert page.evaluate("document.querySelector('canvas.chart') === window.__canvas")
    failures = page.evaluate(
        "Chart.getChart(window.__canvas).data.datasets[0].data.reduce((a, b) => a + b, 0)"
    )
    assert failures == 3


def test_task_history_keeps_scroll_and_open_filters_and_pauses(admin_page, live_server, live):
    page = admin_page
    add_runs(45, ago=5)
    page.set_viewport_size({"width": 1400, "height": 600})
    page.goto(f"{live_server.url}/admin/jobs/taskrun/?state__exact=complete")
    stays(page)
    page.evaluate("window.scrollTo(0, 500)")
    page.evaluate("document.querySelector('.filter-open-button').click()")  # where it is
    page.wait_for_selector("#changelist-filter", state="visible")
    assert page.evaluate("window.scrollY") == 500
    new = add_runs(1)[0]
    page.wait_for_selector(f"text={new[:8]}")
    assert same_document(page)
    assert page.is_visible("#changelist-filter")  # the filters stayed open
    assert abs(page.evaluate("window.scrollY") - 500) < 5
    failed = add_runs(1, state="error")[0]  # filtered out: the list keeps its filter
    page.keyboard.press("Escape")
    page.click("[data-testid=live-toggle]")  # pause
    paused = add_runs(1)[0]
    page.wait_for_timeout(2500)
    assert page.locator(f"text={paused[:8]}").count() == 0
    assert failed[:8] not in page.text_content("#result_list")
    page.click("[data-testid=live-toggle]")  # resume
    page.wait_for_selector(f"text={paused[:8]}")
    assert same_document(page)


def test_consumers_schedules_and_outbox_update_in_place(admin_page, live_server, live):
    page = admin_page
    load_shipped_templates()
    checks = [
        (
            "/admin/jobs/workerheartbeat/",
            "newhost:42:abcd",
            lambda: WorkerHeartbeat.objects.create(
                consumer="newhost:42:abcd", host="newhost", pid=42
            ),
        ),
        (
            "/admin/mail/outboundemail/",
            "fresh.reader@example.com",
            lambda: send_email(
                template_key="welcome", to="fresh.reader@example.com", context={"name": "Fresh"}
            ),
        ),
        (
            "/admin/jobs/periodicrun/schedules/",
            "Failed",
            lambda: PeriodicRun.objects.create(
                job="history_retention",
                period_key="2026-01-01",
                period_start=timezone.now(),
                period_end=timezone.now(),
                status="failed",
            ),
        ),
    ]
    for path, text, change in checks:
        page.goto(f"{live_server.url}{path}")
        stays(page)
        change()
        page.wait_for_selector(f"[data-live-region] >> text={text}")
        assert same_document(page), path
