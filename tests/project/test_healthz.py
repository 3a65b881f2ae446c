import pytest
from django.conf import settings
from huey import RedisHuey

from tests.servers import free_port


@pytest.mark.embedded
@pytest.mark.real_queue
@pytest.mark.django_db
def test_healthz_answers_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    answer = response.json()
    assert {k: answer[k] for k in ("ok", "database", "broker")} == {
        "ok": True,
        "database": "ok",
        "broker": "ok",
    }
    # The test Redis keeps no append-only file (test_reconcile checks the warning's words).
    assert len(answer["warnings"]) == (1 if settings.REDIS_URL else 0)


@pytest.mark.real_queue
@pytest.mark.django_db
def test_healthz_says_503_and_which_part_failed_when_the_broker_is_gone(client, monkeypatch):
    # A real Redis client aimed at a port where nothing listens: Redis has gone away.
    gone = RedisHuey("gone", url=f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr("apps.jobs.selectors.HUEY", gone)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error: ConnectionError")
    assert response.json()["database"] == "ok"
