"""Re-run with edited arguments (issue 19.10): from a task's page, edited as JSON, checked
against the task's signature before anything is enqueued, audited with both sets of
arguments, linked to the original run, for Operators only; hostile input is a form error."""

import json

import pytest
from django.test import Client

from apps.console.models import AuditEntry
from apps.jobs.models import PeriodicRun, TaskRun
from apps.jobs.tasks import jobs_canary_task

pytestmark = pytest.mark.django_db
LIST = "/admin/jobs/taskrun/"


@pytest.fixture
def failed_canary():
    jobs_canary_task(token="ab", fail=True, seconds=0)
    return TaskRun.objects.get(state="error")


def rerun(client, run, arguments) -> object:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return client.post(f"{LIST}{run.pk}/rerun/", {"arguments": text})


def test_an_operator_edits_the_arguments_and_the_new_run_completes_linked_and_audited(
    operator_client, failed_canary, django_capture_on_commit_callbacks
):
    page = operator_client.get(f"{LIST}{failed_canary.pk}/change/").content.decode()
    assert f'href="{LIST}{failed_canary.pk}/rerun/"' in page
    form = operator_client.get(f"{LIST}{failed_canary.pk}/rerun/").content.decode()
    assert (
        "jobs_canary_task(seconds: float = 0, token: str = &#x27;&#x27;, fail: bool = False)"
        in (form)
    )
    assert "&quot;fail&quot;: true" in form  # the run's own arguments, to edit
    with django_capture_on_commit_callbacks(execute=True):
        response = rerun(operator_client, failed_canary, {"args": [], "kwargs": {"token": "ab"}})
    copy = TaskRun.objects.get(retry_of=failed_canary.task_id)
    assert response.url == f"{LIST}{copy.pk}/change/"
    assert (copy.state, copy.kwargs, copy.result) == ("complete", {"token": "ab"}, 1)
    entry = AuditEntry.objects.get(action="task.rerun")
    assert entry.before["kwargs"] == {"token": "***", "fail": True, "seconds": 0}  # hidden
    assert entry.after == {"task_id": copy.task_id, "args": [], "kwargs": {"token": "***"}}
    timeline = operator_client.get(f"{LIST}{copy.pk}/change/").content.decode()
    assert f"re-run with edited arguments by {operator_client.user.email}" in timeline


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"args": [], "kwargs": {"seconds": "soon"}}, "seconds must be a number, not a string."),
        ({"args": [], "kwargs": {"tokn": "ab"}}, "unexpected keyword argument &#x27;tokn&#x27;"),
        ({"args": [1, "a", False, 4], "kwargs": {}}, "too many positional arguments"),
        ({"args": [], "kwargs": {"fail": 1}}, "fail must be true or false, not an integer."),
        ("{not json", "This is not JSON"),
        ('{"args": [], "kwargs": {"seconds": NaN}}', "NaN is not a JSON number"),
        ('{"args": [], "kwargs": {"token": "a\\u0000b"}}', "NUL"),
        ('{"args": [], "kwargs": {"token": "\\ud800"}}', "arguments.kwargs.token"),
        ('{"args": ' + "[" * 30 + "]" * 30 + "}", "Nested deeper than 20 levels"),
        ("[" * 5000 + "]" * 5000, "This is not JSON"),
        ({"args": [], "kwargs": {}, "extra": 1}, "nothing else"),
        ({"args": {}, "kwargs": []}, "must be a list"),
        ("x" * (65 * 1024), "at most 65536 characters"),
    ],
)
def test_arguments_that_do_not_fit_are_a_form_error_and_nothing_runs(
    operator_client, failed_canary, arguments, error
):
    response = rerun(operator_client, failed_canary, arguments)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not TaskRun.objects.filter(retry_of=failed_canary.task_id).exists()
    assert not AuditEntry.objects.exists()


def test_a_hidden_value_left_as_stars_keeps_the_runs_own(operator_client):
    run = TaskRun.objects.create(
        task_id="0f1e2d3c-secret",
        name="tests.jobs.djtasks.add_up",
        state="error",
        args=[[1, 2]],
        kwargs={"label": "x", "api_key": "s3cret"},
    )
    form = operator_client.get(f"{LIST}{run.pk}/rerun/").content.decode()
    assert "s3cret" not in form and "&quot;api_key&quot;: &quot;***&quot;" in form
    rerun(operator_client, run, {"args": [[1, 2, 3]], "kwargs": {"api_key": "***"}})
    copy = TaskRun.objects.get(retry_of=run.task_id)
    assert copy.args == [[1, 2, 3]] and copy.kwargs == {"api_key": "s3cret"}
    entry = AuditEntry.objects.get(action="task.rerun")
    assert entry.after["kwargs"] == {"api_key": "***"}  # the trail never holds the secret


def test_a_periodic_run_is_run_again_for_another_period_forced(
    operator_client, django_capture_on_commit_callbacks
):
    from apps.jobs.periodic import job_spec

    job_spec("history_retention").task(period="2026-11-20")
    run = TaskRun.objects.get(periodic_job="history_retention")
    with django_capture_on_commit_callbacks(execute=True):
        rerun(operator_client, run, {"args": [], "kwargs": {"period": "2026-11-21"}})
    copy = TaskRun.objects.get(retry_of=run.task_id)
    assert copy.period_key == "2026-11-21" and copy.state == "complete"
    assert PeriodicRun.objects.get(job="history_retention", period_key="2026-11-21").forced
    bad = rerun(operator_client, run, {"args": [], "kwargs": {"period": "November"}})
    assert bad.status_code == 400 and "not a valid day period" in bad.content.decode()


def test_only_operators_may_and_only_on_finished_runs_of_tasks_that_exist(
    viewer_client, operator_client, failed_canary
):
    url = f"{LIST}{failed_canary.pk}/rerun/"
    for method in ("get", "post"):
        assert getattr(viewer_client, method)(url).status_code == 403
    assert (
        f'href="{url}"'
        not in viewer_client.get(f"{LIST}{failed_canary.pk}/change/").content.decode()
    )
    waiting = TaskRun.objects.create(task_id="0f1e2d3c-waiting", name=failed_canary.name)
    gone = TaskRun.objects.create(
        task_id="0f1e2d3c-gone", name="apps.gone.tasks.old_task", state="error"
    )
    delivery = TaskRun.objects.create(
        task_id="0f1e2d3c-send",
        state="error",
        name="apps.mail.tasks.email_deliver_task",
        args=[[1]],
    )
    for run in (waiting, gone, delivery):
        assert (
            operator_client.post(f"{LIST}{run.pk}/rerun/", {"arguments": "{}"}).status_code == 403
        )
    assert not TaskRun.objects.exclude(retry_of="").exists()


def test_the_form_checks_csrf(operator_client, failed_canary):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator_client.user)
    response = strict.post(f"{LIST}{failed_canary.pk}/rerun/", {"arguments": '{"args": []}'})
    assert response.status_code == 403
    assert not TaskRun.objects.filter(retry_of=failed_canary.task_id).exists()
