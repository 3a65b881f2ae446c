"""The requeue sweep: a charged request whose task is nowhere is queued again (and runs once),
or ends `failed` and refunded; a request a live task holds is left alone."""

import datetime as dt

import pytest
import redis
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from apps.billing.models import UsageRecord
from apps.jobs.adapter import task_name
from apps.jobs.models import TaskRun
from apps.jobs.periodic import job_spec
from apps.jobs.recorder import recorder
from apps.summaries.lifecycle import summarization_request_claim, summarization_request_create
from apps.summaries.models import SummarizationRequest
from apps.summaries.requeue import summarization_requests_requeue
from apps.summaries.tasks import summarization_request_process_task
from tests.conftest import wait_until
from tests.factories import make_organization, make_plan

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

TEXT = "The sweep finds the request. The queue takes it again. The summary comes back once. " * 3
TASK = task_name(summarization_request_process_task)


def used(organization) -> int:
    return UsageRecord.objects.get(organization=organization).characters_used


@pytest.fixture
def organization():
    return make_organization(plan=make_plan(characters=100_000))


def stranded(organization, *, minutes_ago: int = 10, **fields) -> SummarizationRequest:
    """A charged, queued request whose task never reached a consumer."""
    request = summarization_request_create(
        organization=organization, user=None, mode="brief", text=TEXT, keep_text=True
    )
    since = timezone.now() - dt.timedelta(minutes=minutes_ago)
    SummarizationRequest.objects.filter(pk=request.pk).update(queued_at=since, **fields)
    return request


def history(request, state: str, task_id: str = "t-1") -> TaskRun:
    return TaskRun.objects.create(task_id=task_id, name=TASK, args=[request.pk], state=state)


def test_a_request_whose_task_is_nowhere_is_queued_again_and_completes_once(organization):
    request = stranded(organization)
    history(request, "lost")  # the broker lost it: the history says so
    assert summarization_requests_requeue() == {"requeued": 1, "failed": 0}
    request.refresh_from_db()  # tasks run inline here: the new task has run
    assert (request.status, request.requeues) == ("completed", 1)
    assert used(organization) == len(TEXT)  # charged once
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 0}


@pytest.mark.parametrize("state", ["enqueued", "scheduled", "retrying", "executing"])
def test_a_request_a_live_task_holds_is_left_alone(organization, state):
    request = stranded(organization)
    history(request, state)
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 0}
    request.refresh_from_db()
    assert (request.status, request.requeues) == ("pending", 0)


def test_a_request_queued_a_moment_ago_is_left_to_its_task(organization, settings):
    settings.SUMMARY_REQUEUE_AFTER_SECONDS = 300
    stranded(organization, minutes_ago=2)
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 0}


def test_a_request_lost_again_and_again_ends_failed_and_refunded(organization):
    request = stranded(organization, requeues=3)
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 1}
    request.refresh_from_db()
    assert request.status == "failed" and "lost 4 times" in request.error
    assert request.input_text == "" and used(organization) == 0


def test_a_running_request_whose_task_died_for_good_ends_failed_and_refunded(organization):
    request = stranded(organization)
    summarization_request_claim(request_id=request.pk, task_id="t-dead")
    SummarizationRequest.objects.filter(pk=request.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=10)
    )
    history(request, "lost", task_id="t-dead")
    alive = stranded(organization)
    summarization_request_claim(request_id=alive.pk, task_id="t-alive")
    SummarizationRequest.objects.filter(pk=alive.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=10)
    )
    history(alive, "executing", task_id="t-alive")  # long, but its consumer is alive
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 1}
    request.refresh_from_db()
    alive.refresh_from_db()
    assert request.status == "failed" and "stopped before it finished" in request.error
    assert alive.status == "running"
    assert used(organization) == len(TEXT)  # only the live one stays charged


def test_a_request_queued_by_the_previous_release_without_its_text_is_refunded(organization):
    request = stranded(organization, input_text="")
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 1}
    request.refresh_from_db()
    assert request.status == "failed" and "text of this request was lost" in request.error
    assert used(organization) == 0


@pytest.mark.real_queue
def test_while_the_broker_is_down_the_sweep_changes_nothing_and_the_next_one_queues(
    organization, monkeypatch
):
    HUEY.flush()
    request = stranded(organization)

    def broker_down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(HUEY.storage, "enqueue", broker_down)
    assert summarization_requests_requeue() == {"requeued": 0, "failed": 0}
    request.refresh_from_db()
    assert (request.status, request.requeues) == ("pending", 0)
    monkeypatch.undo()
    assert summarization_requests_requeue() == {"requeued": 1, "failed": 0}
    [task] = [HUEY.deserialize_task(d) for d in HUEY.storage.enqueued_items()]
    assert task.args == (request.pk,)
    recorder.flush()  # its history row, in this test's transaction
    HUEY.flush()


def test_the_sweep_is_a_periodic_job_every_five_minutes():
    spec = job_spec("summaries_requeue")
    assert spec.schedule == "*/5 * * * *" and spec.period == "minute"


@pytest.mark.django_db(transaction=True)
def test_a_real_consumer_completes_a_request_the_sweep_queued_again(organization, huey_consumer):
    """The web process died between the commit and the enqueue: nothing in the broker, nothing
    in the history. The sweep queues it; a real `run_huey` consumer runs it."""
    # History rows other tests' writer thread committed outside their transactions (SQLite
    # reuses ids after a rollback) must not pass for this request's task.
    TaskRun.objects.filter(name=TASK).delete()
    request = stranded(organization)
    consumer = huey_consumer("--workers", "1")
    # The consumer's scheduler may have run the sweep already (every 5 minutes): either queues.
    assert summarization_requests_requeue()["failed"] == 0
    done = wait_until(
        lambda: SummarizationRequest.objects.filter(pk=request.pk, status="completed").first(),
        timeout=60,
        message=lambda: f"not completed: {consumer.output()[-2000:]}",
    )
    assert done.summary and done.input_text == "" and done.requeues == 1
    assert used(organization) == len(TEXT)
