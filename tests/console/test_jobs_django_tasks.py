"""django.tasks on huey: a developer's `@task` runs on a real consumer, its result comes back
through django.tasks, and the console shows it under its own name and retries it."""

import pytest
from django.core.cache import cache
from django.tasks import TaskResultStatus, default_task_backend

from apps.jobs.models import TaskAttempt, TaskRun
from tests.conftest import wait_until
from tests.jobs.djtasks import add_up, issue_token

pytestmark = pytest.mark.embedded
LIST = "/admin/jobs/taskrun/"


@pytest.mark.django_db
def test_a_django_task_runs_inline_in_tests_and_is_recorded_under_its_own_name(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        result = add_up.enqueue([1, 2, 3])  # enqueued when the transaction commits
    result = default_task_backend.get_result(result.id)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value["total"] == 6
    run = TaskRun.objects.get(task_id=result.id)
    assert (run.name, run.args, run.kwargs, run.state) == (
        "tests.jobs.djtasks.add_up",
        [[1, 2, 3]],
        {},
        "complete",
    )


@pytest.mark.django_db
def test_a_result_is_shown_on_the_task_page_redacted_like_arguments(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = issue_token.enqueue("ada")
    run = TaskRun.objects.get(task_id=result.id)
    body = admin_client.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "ada" in body and "tok-9f8e7d" not in body
    assert '"token": "***"' in body or "&quot;token&quot;: &quot;***&quot;" in body


def test_a_django_task_on_a_real_consumer_fails_then_is_retried_from_the_console(
    huey_consumer, operator_client
):
    huey_consumer("--workers", "2")
    cache.delete("djtask:books")
    first = add_up.enqueue([20, 22], label="books", api_key="s3cret")
    run = wait_until(lambda: TaskRun.objects.filter(task_id=first.id, state="error").first())
    assert default_task_backend.get_result(first.id).status == TaskResultStatus.FAILED
    assert "books is not fixed yet" in TaskAttempt.objects.get(task_id=first.id).traceback

    page = operator_client.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "add_up" in page and "s3cret" not in page  # its own name; secrets hidden
    cache.set("djtask:books", "fixed")
    operator_client.post(f"{LIST}{run.pk}/retry-run/")
    copy = TaskRun.objects.get(retry_of=first.id)
    done = wait_until(
        lambda: default_task_backend.get_result(copy.task_id).status == TaskResultStatus.SUCCESSFUL
    )
    assert done
    assert default_task_backend.get_result(copy.task_id).return_value == {
        "label": "books",
        "total": 42,
    }
    wait_until(lambda: TaskRun.objects.get(task_id=copy.task_id).state == "complete")
    page = operator_client.get(f"{LIST}{copy.pk}/change/").content.decode()
    assert "&quot;total&quot;: 42" in page or '"total": 42' in page  # the result, shown
