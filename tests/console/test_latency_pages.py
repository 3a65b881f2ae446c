"""The latency percentiles in the console (issue 19.9): every task's p50/p95/p99 of run time
and queue wait over the last hour, day and week on the dashboard and its own page, and each
task's page with its slowest runs one click from the dashboard."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from apps.jobs.latency.summary import task_latency_summarize
from apps.jobs.models import TaskRun

pytestmark = pytest.mark.django_db
SEND = "apps.mail.tasks.email_deliver_task"
PAGE = "/admin/jobs/taskrun/latency/"


@pytest.fixture
def history():
    """Email deliveries over the last three days: 2 s each, waiting 50 ms, and one of 45 s."""
    now = timezone.now()
    runs = []
    for n in range(60):
        created = now - dt.timedelta(hours=n)
        runs.append(
            TaskRun(
                task_id=f"send-{n}",
                name=SEND,
                state="complete",
                created_at=created,
                enqueued_at=created,
                started_at=created + dt.timedelta(milliseconds=50),
                finished_at=created + dt.timedelta(seconds=2),
                duration=45.0 if n == 30 else 2.0,
            )
        )
    TaskRun.objects.bulk_create(runs)
    for _ in range(4):
        task_latency_summarize(now=now)
    return TaskRun.objects.get(task_id="send-30")


def cells(page: str, window: str) -> list[str]:
    section = page[page.index(f'data-latency-window="{window}"') :]
    row = section[section.index(f'data-task="{SEND}"') :]
    row = row[: row.index("</tbody>")]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td.*?</td>", row, re.S)
    ]


def test_the_dashboard_shows_each_windows_percentiles_and_links_to_the_task(viewer_client, history):
    page = viewer_client.get("/admin/").content.decode()
    assert cells(page, "hour")[:3] == ["Email deliver", "1", "2.0 s"]
    assert cells(page, "day")[1] == "24" and cells(page, "week")[1] == "60"
    assert 44 < float(cells(page, "week")[4].removesuffix(" s")) < 46  # p99: the slow one
    assert cells(page, "week")[5] in ("49 ms", "50 ms", "51 ms")  # queue wait p50 (5 % bucket)
    assert f'href="{PAGE}{SEND}/"' in page and f'href="{PAGE}"' in page


def test_a_tasks_page_lists_its_slowest_runs_linked_to_each(viewer_client, history):
    page = viewer_client.get(f"{PAGE}{SEND}/").content.decode()
    assert "Latency of Email deliver" in page
    slowest = page[page.index('data-testid="slowest-runs"') :]
    week = slowest[slowest.index('data-latency-window="week"') :]
    first = re.search(r'data-run="(\d+)"', week).group(1)
    assert first == str(history.pk)
    assert f'href="/admin/jobs/taskrun/{history.pk}/change/"' in week


def test_the_percentiles_page_lists_every_task_and_odd_names_are_404(viewer_client, history):
    page = viewer_client.get(PAGE).content.decode()
    assert f'data-task="{SEND}"' in page and "Latency percentiles" in page
    for odd in ("nope", "..", "%00", "a.b.c", "\u00b2", "%ED%A0%80"):
        assert viewer_client.get(f"{PAGE}{odd}/").status_code == 404, odd
