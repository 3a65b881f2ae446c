"""Ops alerts: one email per job and hour to the staff in OPS_ALERT_RECIPIENTS."""

import datetime as dt

import pytest
from django.core.management import call_command
from huey.contrib.djhuey import db_task

from apps.console.alerts import late_jobs_alert
from apps.jobs.services import periodic_jobs_seen
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
    assert "after 2 attempt(s)" in emails.first().context["summary"]


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
