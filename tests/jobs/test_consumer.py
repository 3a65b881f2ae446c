"""A real `manage.py run_huey` process executes what the test process enqueues."""

import pytest

from apps.summaries.models import SummarizationRequest
from apps.summaries.services import summarization_request_create
from apps.summaries.tasks import summarization_request_process_task
from tests.factories import make_organization

TEXT = "The consumer is a real process. It reads the queue. It writes the database."


@pytest.mark.embedded
def test_a_consumer_process_completes_a_request_enqueued_by_this_process(huey_consumer):
    consumer = huey_consumer("--workers", "2")
    request = summarization_request_create(
        organization=make_organization(), user=None, mode="brief", text=TEXT
    )
    result = summarization_request_process_task(request.pk, TEXT)
    assert result.get(blocking=True, timeout=30) == {"request": request.pk, "status": "completed"}
    request.refresh_from_db()
    assert request.status == SummarizationRequest.Status.COMPLETED
    assert request.summary.startswith("The consumer is a real process.")
    assert "summarization_request_process_task" in consumer.output()
