"""A summary is charged only once it can run: refused or unqueued requests cost nothing and
end `failed` with a reason; the task claims its row, so a copy of it never runs it twice."""

import datetime as dt

import pytest
import redis
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.billing.models import UsageRecord
from apps.jobs.adapter import attempt_of
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.jobs.recorder import recorder
from apps.summaries.exceptions import QueueUnavailableError
from apps.summaries.lifecycle import (
    QUEUE_DOWN,
    summarization_request_claim,
    summarization_request_create,
    summarization_request_execute,
)
from apps.summaries.models import SummarizationRequest
from apps.summaries.services import summary_request
from apps.summaries.tasks import summarization_request_process_task
from tests.factories import make_organization, make_plan

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

TEXT = "Huey runs the jobs. Anymail sends the mail. Unfold draws the console. Redis brokers. "


def used(organization) -> int:
    record = UsageRecord.objects.filter(organization=organization).first()
    return record.characters_used if record else 0


@pytest.fixture
def organization():
    return make_organization(plan=make_plan(characters=100_000))


@pytest.mark.parametrize("poison", ["\x00", "\ud800", "\udfff", "a\udbffb"])
@pytest.mark.parametrize("length", ["short", "long"])
def test_text_that_cannot_be_stored_is_refused_before_anything_is_charged_or_stored(
    organization, settings, poison, length
):
    settings.SUMMARY_SYNC_MAX_CHARS = 100
    text = TEXT + poison + (TEXT * 3 if length == "long" else "")
    with pytest.raises(ValueError, match="NUL character or an unpaired surrogate"):
        summary_request(organization=organization, user=None, mode="brief", text=text)
    assert not SummarizationRequest.objects.exists() and used(organization) == 0


@pytest.mark.real_queue
def test_a_request_the_broker_does_not_take_ends_failed_and_costs_nothing(
    organization, settings, monkeypatch
):
    settings.SUMMARY_SYNC_MAX_CHARS = 100

    def broker_down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(HUEY.storage, "enqueue", broker_down)
    with pytest.raises(QueueUnavailableError, match="not charged"):
        summary_request(organization=organization, user=None, mode="brief", text=TEXT * 3)
    row = SummarizationRequest.objects.get()
    assert (row.status, row.error, row.input_text) == ("failed", QUEUE_DOWN, "")
    assert used(organization) == 0
    monkeypatch.undo()  # the broker is back: the same request is accepted and charged
    accepted = summary_request(organization=organization, user=None, mode="brief", text=TEXT * 3)
    assert accepted.status == "pending" and used(organization) == len(TEXT * 3)
    recorder.flush()  # its history row, in this test's transaction
    HUEY.flush()


def test_a_charge_and_its_row_commit_together_or_not_at_all(organization, monkeypatch):
    def no_insert(*args, **kwargs):
        raise RuntimeError("the database refused the row")

    monkeypatch.setattr(SummarizationRequest.objects, "create", no_insert)
    with pytest.raises(RuntimeError):
        summarization_request_create(organization=organization, user=None, mode="brief", text=TEXT)
    assert used(organization) == 0


def queued_request(organization) -> SummarizationRequest:
    return summarization_request_create(
        organization=organization, user=None, mode="brief", text=TEXT * 3, keep_text=True
    )


def test_two_copies_of_a_task_run_the_request_once(organization):
    request = queued_request(organization)
    first = summarization_request_execute(request_id=request.pk, task_id="a", last_try=False)
    second = summarization_request_execute(request_id=request.pk, task_id="b", last_try=False)
    assert (first, second) == ("completed", "skipped")
    request.refresh_from_db()
    assert request.status == "completed" and request.task_id == "a" and request.input_text == ""
    assert used(organization) == len(TEXT * 3)


def test_a_copy_arriving_while_the_first_runs_does_nothing_and_the_first_may_retry(organization):
    request = queued_request(organization)
    assert summarization_request_claim(request_id=request.pk, task_id="a") is not None
    assert summarization_request_execute(request_id=request.pk, task_id="b", last_try=True) == (
        "skipped"
    )
    request.refresh_from_db()
    assert (request.status, request.task_id) == ("running", "a")
    # huey's retry of the first task (same id) takes its own row back and finishes it.
    assert summarization_request_execute(request_id=request.pk, task_id="a", last_try=True) == (
        "completed"
    )


def test_a_storage_failure_on_the_last_try_fails_the_request_and_refunds_it(
    organization, monkeypatch, settings
):
    settings.SUMMARY_INLINE_MAX_CHARS = 10  # the summary goes to storage, which fails
    request = queued_request(organization)

    def storage_down(*args, **kwargs):
        raise OSError("the bucket does not answer")

    monkeypatch.setattr("django.db.models.fields.files.FieldFile.save", storage_down)
    with pytest.raises(OSError):
        summarization_request_execute(request_id=request.pk, task_id="a", last_try=False)
    request.refresh_from_db()
    assert request.status == "running" and used(organization) == len(TEXT * 3)  # huey retries
    with pytest.raises(OSError):
        summarization_request_execute(request_id=request.pk, task_id="a", last_try=True)
    request.refresh_from_db()
    assert request.status == "failed" and "could not be stored: OSError" in request.error
    assert used(organization) == 0


def test_a_task_queued_by_the_previous_release_with_its_text_still_runs(organization):
    request = summarization_request_create(
        organization=organization, user=None, mode="brief", text=TEXT
    )
    result = summarization_request_process_task.call_local(request.pk, TEXT)
    assert result == {"request": request.pk, "status": "completed"}


def test_the_task_of_a_dead_consumer_is_run_again_by_the_reaper_and_completes_once(organization):
    """Declared idempotent: the reaper enqueues it again (same task id, next attempt), and
    that attempt takes back the row its first attempt had claimed."""
    HUEY.flush()
    dead = "gone:1:dead"
    WorkerHeartbeat.objects.create(
        consumer=dead, host="gone", pid=1, last_seen=timezone.now() - dt.timedelta(hours=1)
    )
    request = queued_request(organization)
    task = summarization_request_process_task.s(request.pk)
    HUEY.storage.enqueue(HUEY.serialize_task(task))
    HUEY.storage.take(dead)  # the dead consumer had taken it...
    assert summarization_request_claim(request_id=request.pk, task_id=task.id)  # ...and claimed it

    result = task_runs_reap()
    assert (result.lost, result.requeued) == (1, 1)
    again = HUEY.dequeue()
    assert (again.id, attempt_of(again)) == (task.id, 2)
    HUEY.execute(again)
    request.refresh_from_db()
    assert request.status == "completed" and request.summary
    assert used(organization) == len(TEXT * 3)
    assert TaskRun.objects.get(task_id=task.id).args == [request.pk]  # no customer text
    HUEY.flush()
