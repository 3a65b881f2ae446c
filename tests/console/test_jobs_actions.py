"""Operator actions: retry (one, selected, all matching), revoke, run now, pause, clear a lock;
each audited, each refused (403) to a Viewer whatever the method."""

import pytest
from huey.contrib.djhuey import HUEY

from apps.console.models import AuditEntry
from apps.jobs.models import PeriodicJobState, PeriodicRun, TaskRun
from apps.jobs.period_claims import claim_holder
from apps.jobs.periodic import REGISTRY
from tests.console.flaky import fix, flaky_task
from tests.factories import make_running_period

pytestmark = pytest.mark.django_db
LIST = "/admin/jobs/taskrun/"


@pytest.fixture
def failed_runs():
    for token in ("a", "b", "c"):
        flaky_task(token)
    for token in ("a", "b", "c"):
        fix(token)
    return list(TaskRun.objects.filter(state="error").order_by("pk"))


def test_retrying_one_run_enqueues_its_exact_arguments_and_completes(
    operator_client, failed_runs, django_capture_on_commit_callbacks
):
    run = failed_runs[0]
    page = operator_client.get(f"{LIST}{run.pk}/retry-run/")
    assert page.status_code == 200 and "Retry this run?" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(f"{LIST}{run.pk}/retry-run/")
    copy = TaskRun.objects.get(retry_of=run.task_id)
    assert response.url == f"{LIST}{copy.pk}/change/"
    assert (copy.state, copy.args) == ("complete", run.args)
    assert copy.requested_by == operator_client.user.email
    entry = AuditEntry.objects.get(action="task.retry")
    assert entry.target_id == str(run.pk) and entry.after == {"task_id": copy.task_id}


def test_retrying_selected_runs_skips_unfinished_ones(operator_client, failed_runs):
    running = TaskRun.objects.create(
        task_id="still-running", name=failed_runs[0].name, state="executing"
    )
    ids = [r.pk for r in failed_runs[:2]] + [running.pk]
    response = operator_client.post(
        LIST, {"action": "retry_selected", "_selected_action": ids}, follow=True
    )
    assert "2 runs enqueued again; 1 skipped" in response.content.decode()
    assert TaskRun.objects.filter(retry_of__in=[r.task_id for r in failed_runs]).count() == 2


def test_retrying_everything_matching_the_filter_confirms_the_count_then_retries_once(
    operator_client, failed_runs
):
    TaskRun.objects.create(task_id="ok-1", name=failed_runs[0].name, state="complete")
    url = f"{LIST}retry-matching/?state__exact=error"
    page = operator_client.get(url)
    assert "3 failed runs match" in page.content.decode()
    assert "State:</span> error" in page.content.decode()
    operator_client.post(url)
    assert TaskRun.objects.filter(retry_of__in=[r.task_id for r in failed_runs]).count() == 3
    operator_client.post(url)  # already retried: nothing enqueued twice
    assert TaskRun.objects.exclude(retry_of="").count() == 3
    assert AuditEntry.objects.filter(action="task.retry").count() == 3


def test_the_list_button_carries_the_current_filter_to_the_confirmation(operator_client):
    body = operator_client.get(f"{LIST}?state__exact=error&task=x").content.decode()
    assert f"{LIST}retry-matching/?state__exact=error&amp;task=x" in body


def test_revoking_a_queued_run_asks_huey_and_is_audited(operator_client):
    run = TaskRun.objects.create(task_id="queued-1", name="x.y", state="enqueued")
    operator_client.post(f"{LIST}{run.pk}/revoke/")
    assert HUEY.is_revoked("queued-1")
    assert AuditEntry.objects.get(action="task.revoke").before == {"state": "enqueued"}


def test_run_now_and_pause_resume_from_the_schedules_page(operator_client):
    base = "/admin/jobs/periodicrun/schedules"
    operator_client.post(f"{base}/history_retention/run/")
    assert PeriodicRun.objects.get(job="history_retention").status == "succeeded"
    operator_client.post(f"{base}/reaper/pause/", {"paused": "1"})
    assert PeriodicJobState.objects.get(job="reaper").paused
    body = operator_client.get(f"{base}/").content.decode()
    assert "Resume" in body and "Every minute (UTC)" in body
    operator_client.post(f"{base}/reaper/pause/", {"paused": "0"})
    assert not PeriodicJobState.objects.get(job="reaper").paused
    actions = list(AuditEntry.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == ["job.run_now", "job.pause", "job.resume"]


def test_clearing_a_stale_lock_releases_it(operator_client):
    lock = REGISTRY["quota_sweep"].lock
    HUEY.put_if_empty(lock._key, "1")  # held, and no live consumer runs the job: stale
    assert "Stale" in operator_client.get("/admin/jobs/periodicrun/locks/").content.decode()
    operator_client.post("/admin/jobs/periodicrun/locks/quota_sweep/clear/")
    assert not lock.is_locked()
    assert AuditEntry.objects.get(action="lock.clear").after == {"cleared": ["quota_sweep"]}


def test_the_locks_page_names_the_claim_holding_a_lock(operator_client):
    run = make_running_period("quota_sweep", "2026-11-25T09:00", consumer="gone:1:dead")
    lock = REGISTRY["quota_sweep"].lock
    lock.acquire(claim_holder(run))
    try:
        page = operator_client.get("/admin/jobs/periodicrun/locks/").content.decode()
    finally:
        lock.clear()
    assert f"quota_sweep 2026-11-25T09:00, claim 1 (run {run.pk})" in page
    assert "Stale" in page  # its consumer sends no heartbeat


def test_a_viewer_gets_403_on_every_changing_url_and_sees_no_buttons(viewer_client, failed_runs):
    run = failed_runs[0]
    schedules = "/admin/jobs/periodicrun/schedules"
    urls = [
        f"{LIST}{run.pk}/retry-run/",
        f"{LIST}{run.pk}/retry/",
        f"{LIST}{run.pk}/revoke/",
        f"{LIST}retry-matching/?state__exact=error",
        f"{schedules}/reaper/run/",
        f"{schedules}/reaper/pause/",
        "/admin/jobs/periodicrun/locks/reaper/clear/",
    ]
    for url in urls:
        assert viewer_client.get(url).status_code == 403, url
        assert viewer_client.post(url, {"paused": "1"}).status_code == 403, url
    response = viewer_client.post(LIST, {"action": "retry_selected", "_selected_action": [run.pk]})
    assert not TaskRun.objects.exclude(retry_of="").exists()
    assert response.status_code in (200, 302, 403)
    assert "Run now" not in viewer_client.get(f"{schedules}/").content.decode()
    assert "Retry" not in viewer_client.get(f"{LIST}{run.pk}/change/").content.decode()
    assert not PeriodicJobState.objects.exists() and not AuditEntry.objects.exists()
