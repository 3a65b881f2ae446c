"""The reconciliation's Redis-only cases (the production profile; not marked embedded):
Redis's own in-flight lists, and a Redis that keeps no append-only file."""

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from apps.jobs.adapter import inflight_consumers
from apps.jobs.reaper import task_runs_reap
from apps.jobs.tasks import jobs_canary_task
from tests.jobs.test_reconcile import broker  # noqa: F401 (autouse: a clean broker)

pytestmark = [pytest.mark.real_queue, pytest.mark.django_db(transaction=True)]


def test_an_in_flight_list_with_no_registration_is_found_and_reaped():
    HUEY.enqueue(jobs_canary_task.s(token="orphan"))
    HUEY.storage.take("orphan:9:x")
    HUEY.storage.conn.hdel(HUEY.storage.register_key, "orphan:9:x")  # e.g. dropped by a reaper
    assert inflight_consumers()["orphan:9:x"] == 0.0
    reaped = task_runs_reap()  # no heartbeat ever: dead
    assert (reaped.lost, reaped.requeued) == (1, 1)
    assert "orphan:9:x" not in inflight_consumers()


def test_healthz_and_the_dashboard_warn_when_redis_keeps_no_append_only_file(admin_client):
    answer = Client().get("/healthz").json()
    assert answer["ok"] is True and "appendonly yes" in answer["warnings"][0]
    page = admin_client.get("/admin/").content.decode()
    assert 'data-testid="broker-warning"' in page and "appendonly yes" in page
    HUEY.storage.conn.config_set("appendonly", "yes")
    try:
        assert Client().get("/healthz").json()["warnings"] == []
    finally:
        HUEY.storage.conn.config_set("appendonly", "no")
