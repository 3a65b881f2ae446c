"""The console's operations on the deployment, through the operator's browser and the real
consumer: run a periodic job now and watch its outcome (the weekly archival, whose archive is
then downloaded), pause and resume a job, a lock that is not stale kept, task runs retried
(one, and every matching run after a confirmation) and a finished run not revoked, an email
resent, a failed one retried and a sent one not marked sent, an invoice marked paid."""

import gzip
import json
import re
import time

import pytest

pytestmark = pytest.mark.xdist_group("smoke")
JOBS = "/admin/jobs/periodicrun"
# Set-up only (an operator's shell): a customer with a request older than the archive's 90 days.
OLD_REQUEST = """
import datetime as dt
from django.utils import timezone
from apps.accounts.models import User
from apps.accounts.services import organization_create
from apps.summaries.models import SummarizationRequest
owner = User.objects.create_user(email="archived@smoke.example", password=None)
organization = organization_create(name="Archived Ltd", owner=owner)
old = SummarizationRequest.objects.create(organization=organization, user=owner, mode="brief",
    input_characters=42, output_characters=7, status="completed", summary="Old news.")
SummarizationRequest.objects.filter(pk=old.pk).update(
    created_at=timezone.now() - dt.timedelta(days=120))
print(old.pk)
"""


def run_now(staff, name: str) -> tuple[str, str]:
    """Press "Run now" on the schedules page (htmx) and wait for the outcome it polls: the
    run's task id and the finished outcome fragment."""
    page = staff.get(f"{JOBS}/schedules/")
    form = staff.form(page, f"{JOBS}/schedules/{name}/run/")
    fragment = staff.post(form.action, data=form.data(), headers={"HX-Request": "true"})
    assert fragment.status_code == 200, fragment.text[:300]
    outcome = re.search(r'hx-get="([^"]+/runs/([^"/]+)/)"', fragment.text)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = staff.get(outcome.group(1))
        assert answer.status_code == 200
        if "hx-get" not in answer.text:  # finished: the fragment stops polling
            return outcome.group(2), answer.text
        time.sleep(0.5)
    raise AssertionError(f"{name} did not finish: {answer.text[:500]}")


def test_run_now_archives_old_requests_and_the_archive_downloads(staff, deployment):
    request_id = int(deployment.manage("shell", "-c", OLD_REQUEST).split()[-1])
    _task_id, outcome = run_now(staff, "summaries_archive")
    assert "complete" in outcome.lower(), outcome[:800]
    assert not deployment.sql(
        "SELECT 1 FROM summaries_summarizationrequest WHERE id = %s", request_id
    )
    archive = deployment.value("SELECT max(id) FROM summaries_summaryarchive")
    download = staff.get(f"/admin/summaries/summaryarchive/{archive}/download/")
    assert download.status_code == 200
    lines = [json.loads(line) for line in gzip.decompress(download.content).splitlines()]
    assert [row["id"] for row in lines] == [request_id]


def test_a_job_is_paused_and_resumed_and_a_lock_in_use_is_not_cleared(staff, deployment):
    page = staff.get(f"{JOBS}/schedules/")
    zoned = staff.submit(page, f"{JOBS}/schedules/time-zone/", {"time_zone": "Europe/Paris"})
    assert "Times are shown in Europe/Paris." in zoned.text, zoned.text[:500]
    paused = staff.submit(page, f"{JOBS}/schedules/daily_digest/pause/", {"paused": "1"})
    assert paused.status_code == 200 and "daily_digest paused." in paused.text
    state = "SELECT paused FROM jobs_periodicjobstate WHERE job = 'daily_digest'"
    assert deployment.value(state) is True
    resumed = staff.submit(paused, f"{JOBS}/schedules/daily_digest/pause/", {"paused": "0"})
    assert "daily_digest resumed." in resumed.text and deployment.value(state) is False
    locks = staff.get(f"{JOBS}/locks/")
    assert locks.status_code == 200
    cleared = staff.post(
        f"{JOBS}/locks/reaper/clear/", data={"csrfmiddlewaretoken": staff.csrf_token}
    )
    assert cleared.status_code == 200 and cleared.url.endswith(f"{JOBS}/locks/")
    assert "not stale; nothing was cleared" in cleared.text


def test_failed_runs_are_retried_and_a_waiting_one_revoked(staff, deployment):
    failed, other, waiting = deployment.manage("shell", "-c", CANARIES).split()[-3:]
    state = "SELECT id FROM jobs_taskrun WHERE task_id = %s AND state = %s"
    run = wait_until(lambda: deployment.value(state, failed, "error"))
    row = wait_until(lambda: deployment.value(state, other, "error"))
    confirm = staff.get(f"/admin/jobs/taskrun/{run}/retry-run/")
    assert confirm.status_code == 200 and "Retry this run?" in confirm.text
    retried = staff.submit(confirm, "")
    assert retried.status_code == 200 and "Enqueued again as" in retried.text, retried.text[:500]
    assert deployment.value("SELECT count(*) FROM jobs_taskrun WHERE retry_of = %s", failed) == 1
    again = staff.submit(staff.get(f"/admin/jobs/taskrun/{row}/retry/"), "")
    assert "Enqueued again as" in again.text
    held = wait_until(
        lambda: deployment.value("SELECT id FROM jobs_taskrun WHERE task_id = %s", waiting)
    )
    revoked = staff.submit(staff.get(f"/admin/jobs/taskrun/{held}/revoke/"), "")
    assert revoked.status_code == 200 and "it will not run" in revoked.text, revoked.text[:500]
    assert deployment.value("SELECT state FROM jobs_taskrun WHERE id = %s", held) == "revoked"
    # Issue 19: run again with edited arguments (checked against the task's signature).
    form = staff.get(f"/admin/jobs/taskrun/{run}/rerun/")
    assert form.status_code == 200 and "jobs_canary_task(seconds: float" in form.text
    edited = staff.submit(form, "", {"arguments": '{"args": [], "kwargs": {"seconds": 0}}'})
    assert "Enqueued with the edited arguments" in edited.text, edited.text[:500]
    for page in ("latency/", "latency/apps.jobs.tasks.jobs_canary_task/"):
        assert staff.get(f"/admin/jobs/taskrun/{page}").status_code == 200, page
    matching = staff.get("/admin/jobs/taskrun/retry-matching/?state=error")
    assert matching.status_code == 200 and "Retry every matching run?" in matching.text
    assert staff.submit(matching, "").status_code == 200


CANARIES = """
from apps.jobs.tasks import jobs_canary_task
print(jobs_canary_task(fail=True).id, jobs_canary_task(fail=True).id,
      jobs_canary_task.schedule(delay=3600).id)
"""


def test_an_email_is_resent_a_failed_one_retried_and_a_sent_one_not_marked_sent(staff, deployment):
    welcome = deployment.value("SELECT id FROM mail_emailtemplate WHERE key = 'welcome'")
    page = staff.get(f"/admin/mail/emailtemplate/{welcome}/test_send/")
    queued = staff.submit(page, "", {"to": "refused@summasaas.test"})
    assert "Test email queued" in queued.text, queued.text[:500]
    failed = wait_for_status(deployment, "refused@summasaas.test", "failed")
    retried = staff.submit(staff.get(f"/admin/mail/outboundemail/{failed}/retry/"), "")
    assert retried.status_code == 200
    attempts = "SELECT count(*) FROM mail_deliveryattempt WHERE email_id = %s"
    assert wait_until(lambda: deployment.value(attempts, failed) >= 2)
    staff.submit(
        staff.get(f"/admin/mail/emailtemplate/{welcome}/test_send/"),
        "",
        {"to": "studio@summasaas.test"},
    )
    sent = wait_for_status(deployment, "studio@summasaas.test", "sent")
    copies = len(deployment.sink.to("studio@summasaas.test"))
    resent = staff.submit(staff.get(f"/admin/mail/outboundemail/{sent}/resend/"), "")
    assert resent.status_code == 200
    assert wait_until(lambda: len(deployment.sink.to("studio@summasaas.test")) > copies)
    # Mark sent is only for an interrupted email: refused (and not offered) on a sent one.
    assert staff.get(f"/admin/mail/outboundemail/{sent}/mark_sent/").status_code == 403


def test_an_invoice_is_marked_paid_from_its_page(staff, deployment):
    number = deployment.manage("shell", "-c", INVOICE).split()[-1]
    invoice = deployment.value("SELECT id FROM billing_invoice WHERE number = %s", number)
    page = staff.get(f"/admin/billing/invoice/{invoice}/change/")
    link = re.search(r'href="([^"]+/mark-paid/)"', page.text).group(1)
    dialog = staff.get(link)  # a confirmation: a GET (a cross-site <img>) changes nothing
    assert deployment.value("SELECT status FROM billing_invoice WHERE id = %s", invoice) == "open"
    assert staff.submit(dialog, "").status_code == 200  # the dialog's POST, with its CSRF token
    assert deployment.value("SELECT status FROM billing_invoice WHERE id = %s", invoice) == "paid"
    deployment.sink.wait_for("billed@smoke.example", f"Receipt for invoice {number}")


INVOICE = """
from apps.accounts.models import User
from apps.accounts.services import organization_create
from apps.billing.models import Plan
from apps.billing.services import invoice_create, subscription_start
owner = User.objects.create_user(email="billed@smoke.example", password=None)
organization = organization_create(name="Billed Co", owner=owner)
subscription = subscription_start(organization=organization, plan=Plan.objects.get(code="pro"))
print(invoice_create(organization=organization, amount=subscription.plan.price,
                     subscription=subscription).number)
"""


def wait_until(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    return predicate()


def wait_for_status(deployment, to: str, status: str) -> int:
    query = 'SELECT id FROM mail_outboundemail WHERE "to" = %s AND status = %s'
    found = wait_until(lambda: deployment.value(query, to, status))
    assert found, deployment.sql('SELECT id, status FROM mail_outboundemail WHERE "to" = %s', to)
    return found
