"""The dashboard's figures, their links to the filtered lists, and its query budget."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.billing.models import UsageRecord
from apps.console.selectors import (
    api_requests_per_day,
    emails_per_day,
    organizations_near_quota,
    task_runs_per_hour,
)
from apps.jobs.models import TaskRun
from apps.mail.models import EmailEvent, OutboundEmail
from tests.factories import make_organization

pytestmark = pytest.mark.django_db


def run(name, state, ago: dt.timedelta, duration: float = 0.1, now=None) -> TaskRun:
    return TaskRun.objects.create(
        task_id=f"{name}-{state}-{ago.total_seconds()}",
        name=f"apps.x.tasks.{name}",
        state=state,
        created_at=(now or timezone.now()) - ago,
        duration=duration,
    )


def test_tasks_per_hour_counts_runs_and_failures_in_each_of_24_hours():
    now = timezone.now().replace(minute=30)
    run("a", "complete", dt.timedelta(minutes=1), now=now)
    run("a", "error", dt.timedelta(minutes=2), now=now)
    run("a", "lost", dt.timedelta(hours=3), now=now)
    run("a", "error", dt.timedelta(hours=30), now=now)  # outside the window
    series = task_runs_per_hour(now=now)
    assert len(series) == 24
    assert (series[-1]["total"], series[-1]["failed"]) == (2, 1)
    assert sum(r["total"] for r in series) == 3 and sum(r["failed"] for r in series) == 2


def test_slowest_tasks_rank_by_their_p95_over_the_last_24_hours(admin_client):
    run("slow", "complete", dt.timedelta(minutes=1), duration=9)
    run("fast", "complete", dt.timedelta(minutes=1), duration=0.5)
    run("old", "complete", dt.timedelta(hours=30), duration=60)  # outside the 24 hours
    body = admin_client.get("/admin/").content.decode()
    card = body[body.index('data-testid="slowest"') :]
    card = card[: card.index("</table>")]
    assert card.index(">Slow<") < card.index(">Fast<") and ">Old<" not in card


def test_emails_per_day_counts_sent_bounced_and_complained():
    now = timezone.now()
    email = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", status="sent", sent_at=now
    )
    for kind in ("bounced", "complained", "opened"):
        EmailEvent.objects.create(
            email=email, esp_name="t", event_type=kind, occurred_at=now, fingerprint=kind
        )
    today = emails_per_day()[-1]
    assert (today["sent"], today["bounced"], today["complained"]) == (1, 1, 1)


def test_organizations_at_80_percent_or_more_fullest_first():
    start = timezone.now().date().replace(day=1)
    for name, used in (("Low", 500), ("Near", 800), ("Full", 1200)):
        UsageRecord.objects.create(
            organization=make_organization(name=name),
            period_start=start,
            characters_used=used,
            characters_limit=1000,
        )
    names = [r.organization.name for r in organizations_near_quota()]
    assert names == ["Full", "Near"]


def test_api_requests_per_day_weights_p95_by_request_count():
    from apps.analytics.models import DailyRollup

    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for mode, count, ok, p95 in (("a", 100, 99, 200), ("b", 300, 297, 400)):
        DailyRollup.objects.create(
            period_start=day,
            organization=make_organization(name=mode),
            mode=mode,
            count=count,
            success_count=ok,
            p50_ms=1,
            p95_ms=p95,
            input_characters=0,
            output_characters=0,
        )
    assert api_requests_per_day()[-1] == {
        "day": day.date(),
        "requests": 400,
        "success_rate": 99.0,
        "p95_ms": 350,
    }


@pytest.mark.embedded
def test_the_dashboard_links_each_figure_to_its_list_within_a_query_budget(admin_client):
    run("a", "error", dt.timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        body = admin_client.get("/admin/").content.decode()
    assert len(queries) <= 45
    for link in (
        "/admin/jobs/taskrun/?created_at_from_0=",
        "/admin/jobs/taskrun/?state__exact=enqueued",
        "/admin/jobs/periodicrun/schedules/",
        "/admin/jobs/workerheartbeat/",
        "/admin/mail/outboundemail/?status__exact=sent&amp;created_at_from_0=",
        "/admin/mail/emailevent/?event_type=bounced&amp;received_at_from_0=",
        "/admin/analytics/dailyrollup/",
        "/admin/billing/usagerecord/?closed_at__isnull=True",
    ):
        assert link in body, link
    assert body.count('class="chart"') == 3
    assert "Pause live updates" in body


def test_the_failures_link_lists_exactly_the_failures_counted_without_warnings(admin_client):
    import re
    import warnings

    for minutes, state in enumerate(("error", "timeout", "lost", "complete", "complete"), 2):
        run("job", state, dt.timedelta(minutes=minutes))
    run("job", "error", dt.timedelta(hours=30))  # outside the 24 hours
    body = admin_client.get("/admin/").content.decode()
    assert "3 failures: see them" in body
    link = re.search(r'href="([^"]+)"[^>]*data-testid="failures-link"', body).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # e.g. "received a naive datetime"
        listing = admin_client.get(link.replace("&amp;", "&")).content.decode()
    prefixes = ("job-erro", "job-time", "job-lost", "job-comp")
    shown = {prefix for prefix in prefixes if prefix in listing}
    assert shown == {"job-erro", "job-time", "job-lost"}


def test_retry_all_matching_counts_only_the_runs_it_would_retry(admin_client):
    failed = [run(f"f{i}", "error", dt.timedelta(minutes=i + 1)) for i in range(3)]
    run("x", "executing", dt.timedelta(minutes=1))  # still running: skipped
    TaskRun.objects.create(
        task_id="retry-of-f0", name="apps.x.tasks.f0", state="complete", retry_of=failed[0].task_id
    )  # f0 was retried already
    page = admin_client.get("/admin/jobs/taskrun/retry-matching/?state__exact=error")
    assert "2 failed runs match" in page.content.decode()
