"""The task page (issue 12.4): the error first, words for the task, only the actions that fit."""

import pytest

from apps.jobs.models import TaskRun

pytestmark = pytest.mark.django_db


def make(state: str, error: str = "") -> TaskRun:
    return TaskRun.objects.create(
        task_id=f"0f1e2d3c-page-{state}",
        state=state,
        error=error,
        name="apps.summaries.tasks.summarization_request_process_task",
    )


def page(client, run: TaskRun) -> str:
    return client.get(f"/admin/jobs/taskrun/{run.pk}/change/").content.decode()


def test_a_failed_run_shows_its_error_before_anything_else_and_offers_retry(operator_client):
    run = make("error", "TimeoutError: the model did not answer within 30 s")
    body = page(operator_client, run)
    failure = body.index('data-testid="failure"')
    assert body.index("TimeoutError: the model did not answer") > failure
    assert failure < body.index("0f1e2d3c-page-error")  # above the task id
    assert "Summarization request process · 0f1e2d3c" in body  # title and breadcrumb in words
    assert "Summarization_request_process_task" not in body
    assert "module.TaskClass" not in body
    assert "Retry with the same arguments" in body and ">Revoke<" not in body


def test_a_completed_run_offers_neither_retry_nor_revoke(operator_client):
    body = page(operator_client, make("complete"))
    assert "Retry with the same arguments" not in body and "Revoke" not in body
    assert 'data-testid="failure"' not in body


def test_a_queued_run_offers_revoke_only(operator_client):
    run = make("enqueued")
    body = page(operator_client, run)
    assert "Revoke" in body and "Retry with the same arguments" not in body
    refused = operator_client.post(f"/admin/jobs/taskrun/{make('complete').pk}/revoke/")
    assert refused.status_code == 403  # by URL too, not only hidden
