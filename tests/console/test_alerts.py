"""Ops alerts: one email per subject and hour to the staff in OPS_ALERT_RECIPIENTS, each
naming what to click."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_task

from apps.console.alerts import alerts_check, late_jobs_alert
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.services import periodic_jobs_seen
from apps.jobs.tasks import jobs_canary_task
from apps.mail.models import OutboundEmail
from tests.console.flaky import flaky_task

pytestmark = pytest.mark.django_db


@db_task(retries=1)
def retried_flaky_task(token: str) -> None:
    raise RuntimeError(f"always failing {token}")


@pytest.fixture
def recipients(settings):
    call_command("sync_email_templates", verbosity=0)
    settings.OPS_ALERT_RECIPIENTS = ["ops@example.com", "oncall@example.com"]
    return settings.OPS_ALERT_RECIPIENTS


def test_a_task_failing_its_last_attempt_emails_each_recipient_once_per_hour(recipients):
    flaky_task("alert-1")
    flaky_task("alert-2")  # same task, same hour: grouped into the first email
    emails = OutboundEmail.objects.filter(template_key="ops_alert")
    assert sorted(emails.values_list("to", flat=True)) == sorted(recipients)
    email = emails.get(to="ops@example.com")
    assert email.dedupe_key.startswith("ops-alert:tests.console.flaky.flaky_task:")
    assert email.context["what"] == "failed its last retry"
    assert "flaky alert-1 is not fixed yet" in email.context["details"]
    assert "task=tests.console.flaky.flaky_task" in email.context["list_url"]


def test_a_failure_with_retries_left_sends_nothing_until_the_last_one(recipients):
    retried_flaky_task("x")  # immediate mode: the retry runs at once, then fails for good
    emails = OutboundEmail.objects.filter(template_key="ops_alert")
    assert emails.count() == len(recipients)
    assert "on its attempt 2" in emails.first().context["summary"]


def test_no_recipients_means_no_alert(settings):
    settings.OPS_ALERT_RECIPIENTS = []
    flaky_task("quiet")
    assert not OutboundEmail.objects.exists()


def test_a_periodic_job_that_missed_its_period_is_alerted_once(recipients, settings):
    now = dt.datetime(2026, 11, 25, 8, 44, tzinfo=dt.UTC)
    periodic_jobs_seen(now=now - dt.timedelta(days=40))
    alerted = late_jobs_alert(now=now)
    assert "history_retention" in alerted
    late_jobs_alert(now=now + dt.timedelta(minutes=5))  # the next check: same period, no repeat
    emails = OutboundEmail.objects.filter(dedupe_key__startswith="ops-alert:history_retention:")
    assert emails.count() == len(recipients)
    assert emails.first().context["what"] == "missed its period"


def alert_emails(subject: str):
    return OutboundEmail.objects.filter(dedupe_key__startswith=f"ops-alert:{subject}:")


@pytest.fixture
def live_consumer():
    return WorkerHeartbeat.objects.create(consumer="live:1:ab", host="live", pid=1)


def test_each_problem_is_alerted_once_an_hour_naming_what_to_click(recipients, live_consumer):
    now = timezone.now()
    TaskRun.objects.create(
        task_id="lost-1",
        name="apps.jobs.tasks.jobs_canary_task",
        state="lost",
        consumer="gone:2:cd",
    )
    OutboundEmail.objects.create(
        template_key="welcome", to="x@example.com", status="failed", last_error="550 no such user"
    )
    OutboundEmail.objects.create(template_key="welcome", to="y@example.com", status="unknown")
    waiting = jobs_canary_task.s()
    HUEY.storage.enqueue(HUEY.serialize_task(waiting))
    TaskRun.objects.create(
        task_id=waiting.id,
        name="apps.jobs.tasks.jobs_canary_task",
        enqueued_at=now - dt.timedelta(hours=1),
    )

    subjects = alerts_check(now=now)
    assert {"lost runs", "emails failed", "emails unknown", "queue backlog"} <= set(subjects)
    assert "no consumer" not in subjects
    lost = alert_emails("lost runs").get(to="ops@example.com").context
    assert "State: Lost" in lost["click"] and "state__exact=lost" in lost["list_url"]
    assert "gone:2:cd" in lost["summary"]
    failed = alert_emails("emails failed").first().context
    assert "550 no such user" in failed["details"] and "status__exact=failed" in failed["list_url"]
    unknown = alert_emails("emails unknown").first().context
    assert "Resend or Mark sent" in unknown["click"]
    assert "waiting 60 min" in alert_emails("queue backlog").first().context["what"]

    before = OutboundEmail.objects.count()
    alerts_check(now=now + dt.timedelta(seconds=1))  # checked again this hour: no repeat
    assert OutboundEmail.objects.count() == before


def test_no_live_consumer_is_alerted_from_the_command(recipients, capsys):
    WorkerHeartbeat.objects.create(
        consumer="old:1:ab", host="old", pid=1, last_seen=timezone.now() - dt.timedelta(hours=2)
    )
    call_command("ops_alerts")
    assert "no consumer" in capsys.readouterr().out
    context = alert_emails("no consumer").first().context
    assert "run_huey" in context["click"] and "Last heartbeat" in context["details"]


def test_nothing_wrong_means_no_alert(recipients, live_consumer):
    assert alerts_check() == []
    assert not OutboundEmail.objects.filter(template_key="ops_alert").exists()
