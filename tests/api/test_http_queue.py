"""A queued summary while Redis is down, over real HTTP as a deployment runs it (gunicorn,
DEBUG=0, a private Redis the test really stops): 503 with Retry-After, nothing charged."""

import pytest
import requests

from apps.billing.models import UsageRecord
from apps.summaries.models import SummarizationRequest
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
TEXT = "A deployment answers in JSON. A request that cannot be queued is not charged. " * 4


def used() -> int:
    return UsageRecord.objects.get().characters_used


def test_while_redis_is_down_a_queued_summary_is_503_with_retry_after_and_costs_nothing(
    web, http_key, private_redis
):
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {http_key}"
    summaries = f"{web.url}/api/v1/summaries"
    private_redis.stop()

    refused = api.post(summaries, json={"mode": "brief", "text": TEXT}, timeout=30)
    assert refused.status_code == 503, refused.text
    assert (
        refused.json()["code"] == "queue_unavailable" and "not charged" in refused.json()["message"]
    )
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    row = SummarizationRequest.objects.get()
    assert row.status == "failed" and "not charged" in row.error and row.input_text == ""
    assert used() == 0
    short = api.post(summaries, json={"mode": "brief", "text": TEXT[:150]}, timeout=30)
    assert short.status_code == 201 and used() == 150  # short texts need no queue

    private_redis.start()
    accepted = wait_until(
        lambda: (
            (
                answer := api.post(summaries, json={"mode": "brief", "text": TEXT}, timeout=30)
            ).status_code
            == 202
            and answer
        ),
        timeout=30,
        interval=1,
        message="the queue never took the request once Redis was back",
    )
    assert accepted.json()["status"] == "pending" and used() == 150 + len(TEXT)
    assert "Traceback" not in web.log()
