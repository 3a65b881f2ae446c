"""Words shown to operators (issue 19.7): values instead of setting names, 'just now' instead
of '0 minutes ago', counts instead of '[]', buttons that say what they do, names instead of
keys, the reason on the email's first tab, no 'Save and add another' on a template, tab titles
that name the page, and a last attempt that does not promise a retry."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
from apps.mail.models import DeliveryAttempt, EmailEvent, EmailTemplate, OutboundEmail
from tests.conftest import load_shipped_templates

pytestmark = pytest.mark.django_db
SCHEDULES = "/admin/jobs/periodicrun/schedules/"


def text(response) -> str:
    return response.content.decode()


def title(page: str) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", page, re.S).group(1).split())


def test_job_descriptions_give_the_settings_values_not_their_names(operator_client):
    page = text(operator_client.get(SCHEDULES))
    assert "ANALYTICS_RAW_RETENTION_DAYS" not in page and "JOBS_HISTORY_RETENTION_DAYS" not in page
    raw, history = settings.ANALYTICS_RAW_RETENTION_DAYS, settings.JOBS_HISTORY_RETENTION_DAYS
    assert f"Delete raw interaction logs older than {raw} days." in page
    assert f"Delete task history older than {history} days." in page


def test_a_heartbeat_seconds_old_is_just_now_and_pause_says_pause(operator_client):
    WorkerHeartbeat.objects.create(
        consumer="web-1:42",
        host="web-1",
        pid=42,
        workers=2,
        last_seen=timezone.now() - dt.timedelta(seconds=8),
    )
    page = text(operator_client.get("/admin/jobs/workerheartbeat/"))
    assert "just now" in page and "0 minutes ago" not in page
    schedules = text(operator_client.get(SCHEDULES))
    row = schedules[schedules.index('data-job="reaper"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r"pause</span>\s*Pause\s*</button>", row)  # the icon and its word


def test_a_jobs_list_result_is_counted_not_printed(admin_client):
    now = timezone.now()
    PeriodicRun.objects.create(
        job="ops_alerts",
        period_key="2026-12-01T09:05",
        status="succeeded",
        period_start=now,
        period_end=now,
        result={"alerted": [], "mailed": ["a", "b"]},
    )
    page = text(admin_client.get("/admin/jobs/periodicrun/"))
    assert "none alerted" in page and "2 mailed" in page and "[] alerted" not in page


def test_an_email_is_named_in_words_with_its_problem_on_the_first_tab(admin_client):
    email = OutboundEmail.objects.create(
        template_key="daily_digest", to="d@example.com", status="sent", attempts=1
    )
    EmailEvent.objects.create(
        email=email,
        esp_name="postmark",
        event_type="bounced",
        recipient=email.to,
        mta_response="550 mailbox full",
        fingerprint="bounce-1",
    )
    page = text(admin_client.get(f"/admin/mail/outboundemail/{email.pk}/change/"))
    assert "Daily digest to d@example.com" in page and "Daily_digest" not in page
    assert "Last error" not in page
    assert "Bounced: 550 mailbox full" in page
    assert title(page) == "daily digest to d@example.com · Outbound email | SummaSaaS Ops"


def test_a_template_offers_no_save_and_add_another(admin_client):
    load_shipped_templates()
    template = EmailTemplate.objects.get(key="welcome")
    page = text(admin_client.get(f"/admin/mail/emailtemplate/{template.pk}/change/"))
    assert "Save and add another" not in page
    assert "Save and add another" in text(admin_client.get("/admin/mail/suppression/add/"))


def test_tab_titles_name_the_page_not_djangos_select_to_view(admin_client):
    run = TaskRun.objects.create(task_id="0f1e2d3c-title", name="apps.x.tasks.flaky_task")
    assert title(text(admin_client.get("/admin/jobs/taskrun/"))) == "Task runs | SummaSaaS Ops"
    page = text(admin_client.get(f"/admin/jobs/taskrun/{run.pk}/change/"))
    assert title(page) == "Flaky · 0f1e2d3c · Task run | SummaSaaS Ops"
    assert "Select task run to" not in page


def test_the_last_attempt_of_a_failed_email_does_not_say_it_will_retry(admin_client):
    email = OutboundEmail.objects.create(
        template_key="welcome", to="t@example.com", status="failed", attempts=6
    )
    now = timezone.now()
    for number in range(1, 7):
        DeliveryAttempt.objects.create(
            email=email,
            number=number,
            outcome="retry",
            error="503 Service Unavailable",
            started_at=now,
        )
    page = text(admin_client.get(f"/admin/mail/outboundemail/{email.pk}/change/"))
    assert "Attempt 5: Transient error, will retry" in page
    assert "Attempt 6: Transient error, not retried (failed)" in page
    assert "Attempt 6: Transient error, will retry" not in page


def test_api_keys_are_labelled_on_a_phone_and_a_new_one_has_a_copy_button(client):
    from tests.factories import make_organization, make_user

    user = make_user(email="keys@example.com")
    organization = make_organization(name="Keys Inc", owner=user)
    client.force_login(user)
    made = client.post("/accounts/keys/", {"name": "CI"}, follow=True).content.decode()
    assert re.search(
        r'id="new-key">ss_[^<]+</p>\s*<p><button type="button" data-copy="new-key">'
        r"Copy the key</button>",
        made,
    )
    for label in ("Name", "Key", "Created", "Last used"):  # each value says what it is
        assert f'<td data-label="{label}">' in made
    assert organization.name in made
