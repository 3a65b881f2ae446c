"""Console states that tell the truth (issue 19.5): no made-up totals, a revoked task shows
revoked, timings that agree with each other, the broker's scheduled tasks counted, dashboard
links that list what they count, events in time order, failures visible on the chart, attempts
counted right, and a lost-runs alert that says only what happened."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.console.alerts import alerts_check
from apps.console.models import AuditEntry
from apps.jobs.models import TaskAttempt, TaskRun, WorkerHeartbeat
from apps.jobs.tasks import jobs_canary_task
from apps.mail.models import EmailEvent, OutboundEmail

pytestmark = pytest.mark.django_db
LIST = "/admin/jobs/taskrun/"
CANARY = "apps.jobs.tasks.jobs_canary_task"


def test_a_list_that_is_never_counted_offers_every_matching_row_not_a_made_up_total(
    operator_client,
):
    OutboundEmail.objects.bulk_create(
        OutboundEmail(template_key="welcome", to=f"u{n}@example.com", status="failed")
        for n in range(60)
    )
    body = operator_client.get("/admin/mail/outboundemail/").content.decode()
    assert "9999999999" not in body
    assert "Select every matching outbound emails" in body
    assert "an action takes the newest 1,000" in body


def test_a_revoked_task_shows_revoked_and_is_not_offered_revoke_again(operator_client):
    task = jobs_canary_task.s()
    run = TaskRun.objects.create(task_id=task.id, name=CANARY, state="enqueued")
    operator_client.post(f"{LIST}{run.pk}/revoke/")
    run.refresh_from_db()
    assert run.state == "revoked" and HUEY.is_revoked(task.id)
    page = operator_client.get(f"{LIST}{run.pk}/change/").content.decode()
    assert re.search(r"State</label>.*?Revoked", page, re.S)
    assert f'href="{LIST}{run.pk}/revoke/"' not in page
    assert operator_client.post(f"{LIST}{run.pk}/revoke/").status_code == 403
    assert AuditEntry.objects.filter(action="task.revoke").count() == 1


def test_a_retried_tasks_run_time_is_its_last_attempts_and_says_so(operator_client):
    start = dt.datetime(2026, 12, 4, 5, 32, tzinfo=dt.UTC)
    last = start + dt.timedelta(minutes=2)
    run = TaskRun.objects.create(
        task_id="0f1e2d3c-three-tries",
        name=CANARY,
        state="error",
        attempt=3,
        started_at=last,
        finished_at=last + dt.timedelta(seconds=0.6),
        duration=0.6,
        error="RuntimeError('boom')",
    )
    for number, at in ((1, start), (2, start + dt.timedelta(minutes=1)), (3, last)):
        TaskAttempt.objects.create(
            task_id=run.task_id,
            number=number,
            state="error",
            started_at=at,
            finished_at=at + dt.timedelta(seconds=0.6),
        )
    page = operator_client.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "0.60 s, attempt 3; 2 min 1 s from the first attempt&#x27;s start (05:32:00)" in page
    assert "2026-12-04 05:34:00 (attempt 3)" in page
    assert re.search(r"Run time</label>", page)


@pytest.mark.real_queue
def test_a_task_due_later_is_counted_as_scheduled_not_as_ready(admin_client):
    HUEY.flush()
    jobs_canary_task.schedule(delay=3600)  # no consumer yet: it sits in the queue, due later
    jobs_canary_task()
    body = admin_client.get("/admin/").content.decode()
    HUEY.flush()
    depth = re.search(r'data-testid="queue-depth">(\d+)<', body).group(1)
    assert depth == "1"
    later = re.search(r'data-testid="queue-later">([^<]+)<', body).group(1)
    assert later.strip() == "1 scheduled for later"


def test_the_bounced_figure_links_to_exactly_the_bounces_it_counts(admin_client):
    now = timezone.now()
    email = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", status="sent", sent_at=now
    )
    for days in (0, 20, 25, 30, 40, 50, 60, 70, 80):  # one in the last 14 days, eight before
        EmailEvent.objects.create(
            email=email,
            esp_name="t",
            event_type="bounced",
            recipient=f"b{days}@example.com",
            fingerprint=f"b{days}",
            received_at=now - dt.timedelta(days=days),
        )
    body = admin_client.get("/admin/").content.decode()
    link = re.search(r'<a href="([^"]+)"[^>]*>.{0,200}?bounced <strong>(\d+)</strong>', body, re.S)
    assert link.group(2) == "1"
    listing = admin_client.get(link.group(1).replace("&amp;", "&")).content.decode()
    shown = set(re.findall(r"b\d+@example\.com", listing))
    assert shown == {"b0@example.com"}


def test_events_are_listed_newest_first_by_the_time_shown(admin_client):
    now = timezone.now()
    for n, minutes in enumerate((5, 50, 1, 30)):  # inserted out of time order
        EmailEvent.objects.create(
            esp_name="t",
            event_type="delivered",
            fingerprint=f"e{n}",
            recipient=f"r{minutes}@example.com",
            received_at=now - dt.timedelta(minutes=minutes),
        )
    body = admin_client.get("/admin/mail/emailevent/").content.decode()
    order = [int(m) for m in re.findall(r"r(\d+)@example\.com", body)]
    assert order == sorted(order)


def test_failures_get_their_own_axis_on_the_tasks_chart(admin_client):
    now = timezone.now()
    TaskRun.objects.bulk_create(
        TaskRun(
            task_id=f"t{n}",
            name=CANARY,
            created_at=now - dt.timedelta(minutes=1),
            state="error" if n < 3 else "complete",
        )
        for n in range(500)
    )
    body = admin_client.get("/admin/").content.decode()
    canvas = re.search(
        r'<canvas class="chart" data-options="([^"]+)" data-type="bar" '
        r'data-value="([^"]+)"',
        body,
    )
    options = json.loads(canvas.group(1).replace("&quot;", '"'))
    data = json.loads(canvas.group(2).replace("&quot;", '"'))
    failures = next(d for d in data["datasets"] if d["label"] == "Failures")
    assert failures["yAxisID"] == "failures" and max(failures["data"]) == 3
    assert options["scales"]["failures"]["suggestedMax"] == 3  # 3 fills its own axis
    assert options["scales"]["failures"]["position"] == "right"


def test_a_run_again_after_a_lost_consumer_is_not_counted_as_an_extra_try(operator_client):
    run = TaskRun.objects.create(task_id="0f1e2d3c-rerun", name=CANARY, state="complete", attempt=2)
    TaskAttempt.objects.create(task_id=run.task_id, number=1, state="lost")
    TaskAttempt.objects.create(task_id=run.task_id, number=2, state="complete")
    page = operator_client.get(f"{LIST}{run.pk}/change/").content.decode()
    timeline = page[page.index("data-testid='timeline'") :]
    assert "1 of 1, plus 1 lost with its consumer" in timeline
    assert "2 of 1" not in timeline


def test_the_lost_runs_alert_does_not_say_a_run_was_enqueued_again_when_it_was_not(settings):
    settings.OPS_ALERT_RECIPIENTS = ["ops@example.com"]
    WorkerHeartbeat.objects.create(consumer="live:1", host="live", pid=1)
    attempts = settings.JOBS_LOST_MAX_ATTEMPTS  # idempotent, but out of tries: not re-run
    TaskRun.objects.create(
        task_id="lost-1",
        name=CANARY,
        state="lost",
        consumer="gone:2",
        attempt=attempts,
        note=f"consumer gone:2 died; not enqueued again after {attempts} lost attempts",
    )
    assert "lost runs" in alerts_check()
    details = OutboundEmail.objects.get(
        template_key="ops_alert", dedupe_key__contains="lost runs"
    ).context["details"]
    assert details.startswith("None was enqueued again")
    assert "were enqueued again" not in details
